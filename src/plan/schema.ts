import { z } from 'zod';
import { parseRef } from './ref.ts';

/**
 * The routing-rules file format. A plan is a folder of YAML files; each file holds any of the
 * sections below, list sections are concatenated across files, `center` appears exactly once.
 * Types are inferred from these schemas; cross-references are checked in cross-check.ts.
 */

export const Id = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,63}$/,
    'must be lowercase letters, digits and dashes (max 64), e.g. "tax-12366"',
  );

/** A dialed or dialable number: digits only, 3 to 20 of them (110, 12345, 4420000, …). */
export const PhoneNumber = z.string().regex(/^[0-9]{3,20}$/, 'must be 3 to 20 digits, quoted in YAML');

/** A Chinese long-distance area code with its trunk prefix: 010, 028, 0393, … */
export const AreaCode = z
  .string()
  .regex(/^0[1-9][0-9]{1,2}$/, 'must be an area code with its leading 0, e.g. "0393"');

/** A date (`2021-06-01`, midnight in the plan's timezone) or an instant with offset. */
export const DateOrInstant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/,
    'must be a date (YYYY-MM-DD) or an ISO 8601 date-time',
  );

export const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD');

/**
 * Where a value comes from. `local` or `local: why` is a local setting (no source document gives
 * it); any other text quotes the document clause the value rests on, in the document's words.
 */
export const SourceText = z
  .string()
  .min(1)
  .refine(
    (s) => !/^local\b/i.test(s) || /^local(: \S.*)?$/s.test(s),
    'a local setting is written "local" or "local: why"; any other text quotes a document clause',
  );

/**
 * The provenance of a rules entry: one source for all its values, or one per field
 * (`{ entry: "clause", department: "local: …" }`, `entry` for the fields not named). Dial strings
 * and ring times are local settings by nature (no document gives one) and need no mark.
 */
export const Source = z.union([SourceText, z.record(z.string().regex(/^[a-zA-Z]+$/), SourceText)]);

/** Where a route goes: `pool:general`, `menu:level`, `ticket`, `announcement:closed-notice`, … */
export const RefString = z.string().superRefine((value, ctx) => {
  const parsed = parseRef(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

/** An Asterisk dial string for a target outside the agent pools. */
export const DialString = z
  .string()
  .regex(
    /^(PJSIP|SIP|IAX2|DAHDI|Local)\/[^\s]+$/,
    'must be an Asterisk dial string such as "PJSIP/12366@subcenter-trunk"',
  );

export const Route = z
  .object({
    /** Prompt ids played in order before going on. */
    prompts: z.array(Id).default([]),
    goto: RefString,
    /** Preferred agent skill when the route queues the call; defaults to the line's topic. */
    skill: Id.optional(),
    /** Queue priority, 0 (lowest) to 9; defaults to the center's default priority. */
    priority: z.number().int().min(0).max(9).optional(),
    note: z.string().optional(),
    /** Where this route's prompts and priority come from (default: the entry that holds the route). */
    source: SourceText.optional(),
  })
  .strict();

const TimeRange = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be "HH:MM-HH:MM"');

const Weekly = z
  .object({
    mon: z.array(TimeRange).optional(),
    tue: z.array(TimeRange).optional(),
    wed: z.array(TimeRange).optional(),
    thu: z.array(TimeRange).optional(),
    fri: z.array(TimeRange).optional(),
    sat: z.array(TimeRange).optional(),
    sun: z.array(TimeRange).optional(),
  })
  .strict();

/** Built-in 7×24 schedule, usable without being declared (the default `hours`). */
export const ALWAYS = 'always';

export const Schedule = z
  .object({
    id: Id,
    name: z.string().optional(),
    /** 7×24: open at every instant. */
    always: z.literal(true).optional(),
    weekly: Weekly.optional(),
    /** Holidays of this calendar are closed; its make-up workdays follow `workdayHours`. */
    calendar: Id.optional(),
    /** Hours on make-up workdays (调休上班); defaults to Monday's hours. */
    workdayHours: z.array(TimeRange).optional(),
    source: Source.optional(),
  })
  .strict();

const Year = z.number().int().min(2000).max(2100);

/** A center's own day off or working day, kept in the rules with where it comes from. */
const LocalHoliday = z
  .object({ from: LocalDate, to: LocalDate, name: z.string().min(1), note: z.string().min(1).optional() })
  .strict();
const LocalWorkday = z.union([
  LocalDate,
  z
    .object({ date: LocalDate, name: z.string().min(1).optional(), note: z.string().min(1).optional() })
    .strict(),
]);

/**
 * Holidays and make-up workdays. `national`: China's days off by the State Council's yearly
 * notices (2004 onward), with the statutory days of 《全国年节及纪念日放假办法》 for a year whose
 * notice is not out; `holidays`/`workdays` are local additions and overrides (each with a note).
 * `local`: only the days written here, for the `years` listed.
 */
export const Calendar = z
  .object({
    id: Id,
    name: z.string().optional(),
    kind: z.enum(['national', 'local']).default('local'),
    source: SourceText.optional(),
    /** Years a local calendar fully covers (a national calendar's come from the notices). */
    years: z.array(Year).min(1).optional(),
    /**
     * Years whose notice is not out yet, accepted with the statutory days only (no bridging days,
     * no make-up workdays); `validate` fails for the current or next year otherwise.
     */
    provisionalYears: z.array(z.object({ year: Year, note: z.string().min(1) }).strict()).default([]),
    holidays: z.array(LocalHoliday).default([]),
    workdays: z.array(LocalWorkday).default([]),
  })
  .strict();

export const Strategy = z.enum(['longest-idle', 'fewest-calls', 'skill-level', 'round-robin']);

/**
 * A dial string for calling a citizen back through the outbound trunk: `{number}` (once) stands
 * for the caller's number, e.g. `PJSIP/{number}@citizen-trunk`. The dial allow-list accepts the
 * pattern with 3 to 20 digits in place of `{number}` and nothing else.
 */
export const CallbackDial = z
  .string()
  .regex(
    /^(PJSIP|SIP|IAX2|DAHDI)\/[^\s{}]*\{number\}[^\s{}]*$/,
    'must be an Asterisk dial string with {number} once, such as "PJSIP/{number}@citizen-trunk"',
  );

/**
 * Call-backs (virtual hold, 回拨): a caller who has waited `offerAfterSeconds` in the queue is
 * offered a call-back; pressing `key` keeps their place, and they hang up after a confirmation.
 * When an agent is free the engine calls the agent first, then the caller on `dial`, up to
 * `attempts` times `retryIntervalSeconds` apart (the agent waits on the line in between).
 */
export const CallbackPolicy = z
  .object({
    enabled: z.boolean().default(true),
    /** How long the caller waits in the queue (from the first entry) before the offer. */
    offerAfterSeconds: z.number().int().min(10).max(3600),
    /** The key that asks for the call-back (the offer reads it out). */
    key: z
      .string()
      .regex(/^[0-9]$/, 'must be one digit, quoted in YAML, e.g. "1"')
      .default('1'),
    /** Calls to the caller before giving up. */
    attempts: z.number().int().min(1).max(5).default(3),
    /** Wait between a call the caller did not take and the next. */
    retryIntervalSeconds: z.number().int().min(5).max(300).default(30),
    /** Ring the caller this long per attempt. */
    ringSeconds: z.number().int().min(5).max(120).default(30),
    /** How the caller is dialled: the outbound trunk, `{number}` for their number. */
    dial: CallbackDial,
    source: SourceText.optional(),
  })
  .strict();

export const QueuePolicy = z
  .object({
    strategy: Strategy.default('longest-idle'),
    wrapUpSeconds: z.number().int().min(0).max(600).default(15),
    /** Offer the call to any agent of the pool, not only those with its preferred skill. */
    widenAfterSeconds: z.number().int().min(0).optional(),
    /** Hand the call to another queue (`pool:`/`expert:`) or center (`center:`) after this wait. */
    overflowAfterSeconds: z.number().int().min(0).optional(),
    overflowTo: RefString.optional(),
    /** After this wait the caller is told a ticket is created and called back (max wait → ticket). */
    maxWaitSeconds: z.number().int().min(10).max(3600).default(300),
    /** Announce position and expected wait this often while queued; 0 = never. */
    announceEverySeconds: z.number().int().min(0).max(600).default(45),
    /** Ring an offered agent this long before RONA. */
    ringSeconds: z.number().int().min(5).max(120).default(15),
    /** Call-backs for callers who wait long (absent: none are offered). */
    callback: CallbackPolicy.optional(),
    /** Where these timings come from (the documents give none: usually `local: why`). */
    source: SourceText.optional(),
  })
  .strict()
  .refine((q) => !q.callback?.enabled || q.callback.offerAfterSeconds < q.maxWaitSeconds, {
    message: 'must be shorter than queue.maxWaitSeconds (the caller would never hear the offer)',
    path: ['callback', 'offerAfterSeconds'],
  });

const staffedTarget = {
  id: Id,
  name: z.string().min(1),
  /** Agents need at least one of these skills to serve the queue (empty: any pool member). */
  skills: z.array(Id).default([]),
  hours: Id.default(ALWAYS),
  /** Where calls go while the queue is closed (outside `hours`). */
  closed: Route.optional(),
  source: Source.optional(),
  queue: QueuePolicy.default({
    strategy: 'longest-idle',
    wrapUpSeconds: 15,
    maxWaitSeconds: 300,
    announceEverySeconds: 45,
    ringSeconds: 15,
  }),
};

export const Pool = z.object({ ...staffedTarget, description: z.string().optional() }).strict();

export const Expert = z
  .object({
    ...staffedTarget,
    /** The department that staffs the seat (e.g. 司法厅). */
    department: z.string().min(1),
    /** The hotline number whose specialists sit here. */
    number: PhoneNumber,
  })
  .strict();

/** What a department's number dialled outside the pools has: whose it is, and how to ring it. */
const departmentDestination = {
  id: Id,
  name: z.string().min(1),
  number: PhoneNumber,
  department: z.string().min(1),
  dial: DialString,
  ringSeconds: z.number().int().min(5).max(120).default(30),
  source: Source.optional(),
};

export const Subcenter = z
  .object({
    ...departmentDestination,
    hours: Id.default(ALWAYS),
    closed: Route.optional(),
  })
  .strict();

/**
 * A department's own line: the seats that still answer a kept number (双号并行) before it is
 * transferred to 12345.
 */
export const DepartmentLine = z.object({ ...departmentDestination }).strict();

export const EmergencyLine = z
  .object({
    id: Id,
    number: z.enum(['110', '119', '120', '122']),
    name: z.string().min(1),
    /** What the line accepts, in the plan's words. */
    scope: z.string().min(1),
    dial: DialString,
    ringSeconds: z.number().int().min(5).max(120).default(30),
    source: Source.optional(),
  })
  .strict();

export const OtherCenter = z
  .object({
    id: Id,
    name: z.string().min(1),
    relation: z.enum(['province', 'city', 'neighbour', 'utility']),
    number: PhoneNumber,
    dial: DialString,
    ringSeconds: z.number().int().min(5).max(120).default(30),
    source: Source.optional(),
  })
  .strict();

export const DirectoryEntry = z
  .object({
    id: Id,
    name: z.string().min(1),
    number: PhoneNumber,
    dial: DialString,
    ringSeconds: z.number().int().min(5).max(120).default(30),
    source: Source.optional(),
  })
  .strict();

export const MenuOption = z
  .object({
    digits: z.string().regex(/^[0-9*#]{1,4}$/, 'must be 1 to 4 keys of 0-9, * and #'),
    label: z.string().min(1),
    route: Route,
  })
  .strict();

export const Menu = z
  .object({
    id: Id,
    name: z.string().optional(),
    prompt: Id,
    options: z.array(MenuOption).min(1),
    /** Seconds to wait for the first key after the prompt ends. */
    timeoutSeconds: z.number().min(1).max(60).default(5),
    /** Seconds to wait between keys of a multi-key option. */
    interDigitSeconds: z.number().min(1).max(30).default(3),
    /** Tries after the first one on invalid input (a key, or keys, that match no option). */
    retries: z.number().int().min(0).max(5).default(2),
    /**
     * Tries after the first one on no input (the menu timed out); defaults to `retries`. `0`: a
     * caller who presses nothing goes to the default action when the prompt and the wait end.
     */
    timeoutRetries: z.number().int().min(0).max(5).optional(),
    /** Played after invalid input when a try is left, before the menu again ("请重新选择"). */
    invalidPrompt: Id.optional(),
    /** Played after no input when a try is left, before the menu again. */
    timeoutPrompt: Id.optional(),
    /**
     * Played when invalid input uses up the tries, before the default action: it must not promise
     * another try ("您的输入有误，正在为您转接人工服务"). Without it nothing is played then.
     */
    invalidFinalPrompt: Id.optional(),
    /** Played when no input uses up the tries, before the default action. */
    timeoutFinalPrompt: Id.optional(),
    /** Where the caller goes when the tries are used up (the default action). */
    default: Route,
    /**
     * `false` switches the menu off: a route to it goes straight to its `default` route, and the
     * caller hears neither the menu nor its options (a plan's optional menu kept ready to turn on).
     */
    enabled: z.boolean().default(true),
    source: Source.optional(),
  })
  .strict();

export const Answer = z
  .object({
    id: Id,
    title: z.string().min(1),
    /** The knowledge base's "standard answer" (标准答案), as a prompt. */
    prompt: Id,
    source: Source.optional(),
    next: Route,
  })
  .strict();

export const SelfService = z.discriminatedUnion('kind', [
  z
    .object({
      id: Id,
      kind: z.literal('progress-query'),
      name: z.string().optional(),
      /** Asks the caller to key in a ticket number ending with #. */
      prompt: Id,
      /** Played when the ticketing system cannot answer; then `next` (an agent). */
      failurePrompt: Id,
      maxDigits: z.number().int().min(4).max(32).default(20),
      next: Route,
      source: Source.optional(),
    })
    .strict(),
  z
    .object({
      id: Id,
      kind: z.literal('survey'),
      name: z.string().optional(),
      /** Asks for a score from 1 to `maxScore`. */
      prompt: Id,
      thanksPrompt: Id,
      maxScore: z.number().int().min(2).max(9).default(5),
      timeoutSeconds: z.number().min(2).max(30).default(8),
      source: Source.optional(),
    })
    .strict(),
]);

/**
 * What a phase is: `before-merge`, `transition`, `merged` (the number's calls are 12345's),
 * `deregistered` (the number is cancelled), `linked` (a sub-center line, 设分中心: the department
 * keeps its number and agents and is linked to 12345 by transfer; it never merges) and `active` (a
 * line with no dated phase, such as 12345 itself).
 */
export const PhaseKind = z.enum(['before-merge', 'transition', 'merged', 'deregistered', 'linked', 'active']);

export const Phase = z
  .object({
    id: Id,
    kind: PhaseKind,
    /** Inclusive start; absent = since always. */
    from: DateOrInstant.optional(),
    /** Exclusive end; absent = for ever. */
    until: DateOrInstant.optional(),
    /**
     * The source document's words for this phase; `{ entry, from, until }` when the dates are
     * read from the document rather than written in it (`from: "local: …"`).
     */
    source: Source.optional(),
    route: Route,
  })
  .strict();

export const MergeMode = z.enum(['main', 'whole-merge', 'dual-number', 'sub-center']);

export const LineGroup = z
  .object({
    id: Id,
    name: z.string().min(1),
    mode: MergeMode,
    source: Source.optional(),
    phases: z.array(Phase).min(1),
  })
  .strict();

export const Line = z
  .object({
    id: Id,
    number: PhoneNumber,
    name: z.string().min(1),
    mode: MergeMode.optional(),
    department: z.string().min(1),
    /** The line's topic; calls it queues prefer agents with this skill. */
    topic: Id,
    /** Take the phases (and mode) of this group. */
    group: Id.optional(),
    phases: z.array(Phase).optional(),
    /** Route when no phase applies (and for lines without phases). */
    route: Route.optional(),
    note: z.string().optional(),
    /** Where the line (number, name, department) comes from; a line of a group defaults to the group's. */
    source: Source.optional(),
  })
  .strict();

export const CallerClass = z
  .object({
    id: Id,
    name: z.string().min(1),
    /** Exact caller numbers, or prefixes ending with `*`. */
    callers: z.array(z.string().regex(/^[0-9]{1,20}\*?$/, 'must be digits, optionally ending with *')).min(1),
    priority: z.number().int().min(0).max(9),
    source: Source.optional(),
  })
  .strict();

/** Not-ready reasons of a center whose rules name none. */
export const DEFAULT_NOT_READY_REASONS = ['小休', '用餐', '培训', '会议', '事后处理'];

export const Center = z
  .object({
    id: Id,
    name: z.string().min(1),
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as "Asia/Shanghai"'),
    /** The prompt manifest, relative to the plan folder. */
    prompts: z.string().min(1),
    /** Answered within this many seconds counts toward the service level (GB/T 33358: 15). */
    serviceLevelSeconds: z.number().int().min(1).max(120).default(15),
    defaultPriority: z.number().int().min(0).max(9).default(5),
    /** The post-call satisfaction survey (a self-service of kind survey). */
    survey: Id.optional(),
    /** Where a call goes when a transfer from the IVR (sub-center, emergency line, other center) fails. */
    fallback: Route,
    /** Played to every caller before anything else (e.g. the emergency-lines notice). */
    greeting: z.array(Id).default([]),
    /**
     * The plan's document (`川办发〔2021〕15号`), or per field: `{ entry: "<document>",
     * defaultPriority: "local: …" }`. Clauses elsewhere in the rules are quoted from it.
     */
    source: Source.optional(),
    /**
     * The most seconds of prompts and menu waits a caller may hear before reaching a person (a
     * queue or a transfer); `validate` warns about every path of a current or future phase above
     * it. Default 20.
     */
    promptBudgetSeconds: z.number().min(1).max(300).default(20),
    /**
     * The center's area code(s) (`"0393"`): a dialed number that starts with one is matched
     * without it (`03934420000` → `4420000`). `+86`/`0086` and separators are always removed.
     */
    areaCode: z.union([AreaCode, z.array(AreaCode).min(1)]).optional(),
    /** The reasons an agent may give for going not-ready (the toolbar offers them; the API refuses others). */
    notReadyReasons: z
      .array(z.string().trim().min(1).max(32))
      .min(1)
      .max(30)
      .refine((list) => new Set(list).size === list.length, 'must not repeat a reason')
      .default(DEFAULT_NOT_READY_REASONS),
  })
  .strict();

/** One rules file: any subset of the sections. */
export const RulesFile = z
  .object({
    center: Center.optional(),
    calendars: z.array(Calendar).optional(),
    schedules: z.array(Schedule).optional(),
    pools: z.array(Pool).optional(),
    experts: z.array(Expert).optional(),
    subcenters: z.array(Subcenter).optional(),
    departments: z.array(DepartmentLine).optional(),
    emergency: z.array(EmergencyLine).optional(),
    centers: z.array(OtherCenter).optional(),
    directory: z.array(DirectoryEntry).optional(),
    menus: z.array(Menu).optional(),
    answers: z.array(Answer).optional(),
    selfService: z.array(SelfService).optional(),
    callerClasses: z.array(CallerClass).optional(),
    groups: z.array(LineGroup).optional(),
    lines: z.array(Line).optional(),
  })
  .strict();

export const listSections = [
  'calendars',
  'schedules',
  'pools',
  'experts',
  'subcenters',
  'departments',
  'emergency',
  'centers',
  'directory',
  'menus',
  'answers',
  'selfService',
  'callerClasses',
  'groups',
  'lines',
] as const;
export type ListSection = (typeof listSections)[number];

export type SourceRule = z.infer<typeof Source>;
export type RouteRule = z.infer<typeof Route>;
export type ScheduleRule = z.infer<typeof Schedule>;
export type CalendarRule = z.infer<typeof Calendar>;
export type QueuePolicyRule = z.infer<typeof QueuePolicy>;
export type CallbackPolicyRule = z.infer<typeof CallbackPolicy>;
export type PoolRule = z.infer<typeof Pool>;
export type ExpertRule = z.infer<typeof Expert>;
export type SubcenterRule = z.infer<typeof Subcenter>;
export type DepartmentLineRule = z.infer<typeof DepartmentLine>;
export type EmergencyRule = z.infer<typeof EmergencyLine>;
export type OtherCenterRule = z.infer<typeof OtherCenter>;
export type DirectoryRule = z.infer<typeof DirectoryEntry>;
export type MenuRule = z.infer<typeof Menu>;
export type AnswerRule = z.infer<typeof Answer>;
export type SelfServiceRule = z.infer<typeof SelfService>;
export type PhaseRule = z.infer<typeof Phase>;
export type PhaseKindName = z.infer<typeof PhaseKind>;
export type MergeModeName = z.infer<typeof MergeMode>;
export type LineGroupRule = z.infer<typeof LineGroup>;
export type LineRule = z.infer<typeof Line>;
export type CallerClassRule = z.infer<typeof CallerClass>;
export type CenterRule = z.infer<typeof Center>;
export type RulesFileContent = z.infer<typeof RulesFile>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.includes('/') || tz === 'UTC';
  } catch {
    return false;
  }
}
