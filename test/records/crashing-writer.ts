/**
 * Child process of the crash test: writes call records into the file outbox (the webhook is
 * unreachable), says so on stdout, then waits to be killed with SIGKILL.
 */
import { fileEnv, recordOf, sinkFrom } from './delivery-support.ts';

const [dir, count] = [process.argv[2]!, Number(process.argv[3])];
const sink = await sinkFrom(fileEnv('http://127.0.0.1:9/records', dir));
for (let i = 0; i < count; i++) await sink.write(recordOf(100 + i));
process.stdout.write('kept\n');
setInterval(() => undefined, 1000);
