/** The JSONL sink moved to sinks/; this path stays for the composition until it imports the factory. */
export { JsonlRecordSink } from './sinks/jsonl-sink.ts';
