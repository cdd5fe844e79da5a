import type { AppendLog } from './append-log.ts';
import type { Role } from './tokens.ts';

/** One read of callers' data: who (token), which route, which calls, when. */
export interface AccessEntry {
  at: string;
  tokenId: string;
  role: Role;
  method: string;
  route: string;
  callIds: string[];
  address: string;
}

/** One change an administrator made (publish, rollback), with a summary of the diff. */
export interface AuditEntry {
  at: string;
  tokenId: string;
  action: 'publish' | 'rollback';
  version: number;
  previous: number;
  rollbackOf?: number;
  message?: string;
  changes: { file: string; status: string; added: number; removed: number }[];
}

export type AccessLedger = AppendLog<AccessEntry>;
export type AuditLog = AppendLog<AuditEntry>;
