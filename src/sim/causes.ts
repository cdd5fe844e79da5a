/**
 * Q.850 hangup causes as Asterisk names them in `ChannelDestroyed.cause_txt`, and the `reason`
 * words `DELETE /channels/{id}` accepts.
 */
const causeText = new Map<number, string>([
  [0, 'Unknown'],
  [1, 'Unallocated (unassigned) number'],
  [3, 'No route to destination'],
  [16, 'Normal Clearing'],
  [17, 'User busy'],
  [18, 'No user responding'],
  [19, 'User alerting, no answer'],
  [20, 'Subscriber absent'],
  [21, 'Call Rejected'],
  [26, 'Answered elsewhere'],
  [27, 'Destination out of order'],
  [28, 'Invalid number format (incomplete number)'],
  [31, 'Normal, unspecified'],
  [34, 'Circuit/channel congestion'],
  [38, 'Network out of order'],
  [41, 'Temporary failure'],
  [42, 'Switching equipment congestion'],
  [127, 'Interworking, unspecified'],
]);

export const Cause = {
  unknown: 0,
  normal: 16,
  busy: 17,
  noUserResponse: 18,
  noAnswer: 19,
  subscriberAbsent: 20,
  congestion: 34,
  /** Not Q.850: Asterisk's AST_SOFTHANGUP_EXPLICIT flag, seen as the first hangup-request cause. */
  softHangupExplicit: 32,
} as const;

const reasons = new Map<string, number>([
  ['normal', 16],
  ['busy', 17],
  ['congestion', 34],
  ['no_answer', 19],
  ['timeout', 19],
  ['rejected', 21],
  ['unallocated', 1],
  ['normal_unspecified', 31],
  ['number_incomplete', 28],
  ['codec_mismatch', 58],
  ['interworking', 127],
  ['failure', 38],
  ['answered_elsewhere', 26],
]);

export function causeTxt(cause: number): string {
  return causeText.get(cause) ?? 'Unknown';
}

/** Cause for a hangup `reason` word, or undefined when Asterisk would reject it (400). */
export function causeForReason(reason: string): number | undefined {
  return reasons.get(reason);
}
