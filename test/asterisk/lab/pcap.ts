import { writeFileSync } from 'node:fs';

/**
 * RTP streams as pcap files for SIPp's `play_pcap_audio` (it sends each packet's UDP payload to
 * the peer's media address, paced by the packets' capture times). Debian's DTMF pcaps reuse one
 * RTP timestamp, so Asterisk keeps only the first key of a sequence: these are written with one
 * timestamp per key and continuous sequence numbers.
 */
interface RtpPacket {
  atMs: number;
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  payload: Buffer;
}

const SSRC = 0x12345678;

function pcapFile(packets: RtpPacket[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // Ethernet
  const parts = [header];
  for (const p of packets) {
    const rtp = Buffer.alloc(12);
    rtp[0] = 0x80;
    rtp[1] = (p.marker ? 0x80 : 0) | p.payloadType;
    rtp.writeUInt16BE(p.seq & 0xffff, 2);
    rtp.writeUInt32BE(p.timestamp >>> 0, 4);
    rtp.writeUInt32BE(SSRC, 8);
    const udpLen = 8 + rtp.length + p.payload.length;
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udpLen, 2);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([10, 0, 0, 1], 12);
    ip.set([10, 0, 0, 2], 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(6000, 0);
    udp.writeUInt16BE(6000, 2);
    udp.writeUInt16BE(udpLen, 4);
    const frame = Buffer.concat([eth, ip, udp, rtp, p.payload]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.atMs / 1000), 0);
    rec.writeUInt32LE(Math.round((p.atMs % 1000) * 1000), 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  }
  return Buffer.concat(parts);
}

/** `seconds` of G.711 A-law (payload type 8) at 20 ms a packet: a quiet 400 Hz tone. */
export function writeAlawPcap(path: string, seconds: number): void {
  const packets: RtpPacket[] = [];
  const count = Math.round((seconds * 1000) / 20);
  for (let i = 0; i < count; i++) {
    const payload = Buffer.alloc(160);
    for (let s = 0; s < 160; s++) {
      const v = Math.round(2000 * Math.sin((2 * Math.PI * 400 * (i * 160 + s)) / 8000));
      payload[s] = linearToAlaw(v);
    }
    packets.push({ atMs: i * 20, payloadType: 8, marker: i === 0, seq: i, timestamp: i * 160, payload });
  }
  writeFileSync(path, pcapFile(packets));
}

/**
 * RFC 4733 telephone-events (payload type `pt`) for `keys`, the first at `firstAtMs`, then one
 * every `gapMs`; each key lasts 100 ms and ends with three end-of-event packets.
 */
export function writeDtmfPcap(
  path: string,
  keys: string,
  opts: { pt?: number; firstAtMs?: number; gapMs?: number } = {},
): void {
  const pt = opts.pt ?? 101;
  const first = opts.firstAtMs ?? 0;
  const gap = opts.gapMs ?? 1000;
  const packets: RtpPacket[] = [];
  let seq = 1;
  [...keys].forEach((key, k) => {
    const event = '0123456789*#'.indexOf(key);
    if (event < 0) throw new Error(`not a DTMF key: ${key}`);
    const start = first + k * gap;
    const timestamp = 8 * start;
    for (let i = 1; i <= 5; i++) {
      const payload = Buffer.from([event, 10, 0, 0]);
      payload.writeUInt16BE(160 * i, 2);
      packets.push({
        atMs: start + 20 * (i - 1),
        payloadType: pt,
        marker: i === 1,
        seq: seq++,
        timestamp,
        payload,
      });
    }
    for (let i = 0; i < 3; i++) {
      const payload = Buffer.from([event, 0x80 | 10, 0, 0]);
      payload.writeUInt16BE(160 * 5, 2);
      packets.push({
        atMs: start + 100 + 20 * i,
        payloadType: pt,
        marker: false,
        seq: seq++,
        timestamp,
        payload,
      });
    }
  });
  writeFileSync(path, pcapFile(packets));
}

function linearToAlaw(sample: number): number {
  let pcm = sample;
  const sign = pcm >= 0 ? 0x80 : 0;
  if (pcm < 0) pcm = -pcm - 1;
  pcm = Math.min(pcm, 32635);
  let exponent = 7;
  for (let mask = 0x4000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = exponent === 0 ? (pcm >> 4) & 0x0f : (pcm >> (exponent + 3)) & 0x0f;
  return ((sign | (exponent << 4) | mantissa) ^ 0x55) & 0xff;
}
