/**
 * A reader for Asterisk's configuration syntax, enough for the tests to check what the
 * generated and hand-written files declare: sections with templates, key = value lines,
 * #include lines, dialplan extensions.
 */
export interface ConfSection {
  name: string;
  /** `(!)` sections are templates. */
  isTemplate: boolean;
  templates: string[];
  entries: [string, string][];
}

export interface ConfFile {
  sections: ConfSection[];
  includes: string[];
}

function stripComment(line: string): string {
  // `\;` is a literal semicolon; an unescaped `;` starts a comment.
  const m = /(^|[^\\]);/.exec(line);
  return (m ? line.slice(0, m.index + m[1]!.length) : line).trim();
}

export function parseConf(text: string): ConfFile {
  const sections: ConfSection[] = [];
  const includes: string[] = [];
  let current: ConfSection | undefined;
  for (const raw of text.split('\n')) {
    const line = stripComment(raw);
    if (!line) continue;
    const include = /^#(?:try)?include\s+"?([^"]+)"?$/.exec(line);
    if (include) {
      includes.push(include[1]!);
      continue;
    }
    const header = /^\[([^\]]+)\](?:\(([^)]*)\))?$/.exec(line);
    if (header) {
      const flags = (header[2] ?? '')
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      current = {
        name: header[1]!,
        isTemplate: flags.includes('!'),
        templates: flags.filter((f) => f !== '!'),
        entries: [],
      };
      sections.push(current);
      continue;
    }
    const kv = /^([^=]+?)\s*=>?\s*(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`cannot read line: ${raw}`);
    current.entries.push([kv[1]!.trim(), kv[2]!.trim()]);
  }
  return { sections, includes };
}

/** A key's value in a section, looked up through its templates like Asterisk does. */
export function confValue(file: ConfFile, section: ConfSection, key: string): string | undefined {
  const own = section.entries.findLast(([k]) => k === key);
  if (own) return own[1];
  for (const t of section.templates.toReversed()) {
    const template = file.sections.find((s) => s.name === t && s.isTemplate);
    const inherited = template && confValue(file, template, key);
    if (inherited !== undefined) return inherited;
  }
  return undefined;
}

/** Non-template sections of a given `type` (endpoint, aor, identify, …). */
export function sectionsOfType(file: ConfFile, type: string): ConfSection[] {
  return file.sections.filter((s) => !s.isTemplate && confValue(file, s, 'type') === type);
}

/** One dialplan step: `exten => 12345,1,Goto(…)` or ` same => n(label),App(…)`. */
export interface Step {
  context: string;
  exten: string;
  /** The step's label (`n(done)` → `done`), if it has one. */
  label?: string;
  app: string;
  args: string;
}

/** The steps of every context, in order; `same` lines belong to the last `exten`. */
export function dialplanSteps(file: ConfFile): Step[] {
  const steps: Step[] = [];
  for (const s of file.sections) {
    let exten = '';
    for (const [key, value] of s.entries) {
      if (key !== 'exten' && key !== 'same') continue;
      const parts =
        key === 'exten'
          ? /^([^,]+),\w+(?:\(([\w-]+)\))?,(\w+)\((.*)\)$/.exec(value)
          : /^()\w+(?:\(([\w-]+)\))?,(\w+)\((.*)\)$/.exec(value);
      if (!parts) throw new Error(`cannot read step [${s.name}] ${key} => ${value}`);
      if (key === 'exten') exten = parts[1]!;
      steps.push({
        context: s.name,
        exten,
        ...(parts[2] ? { label: parts[2] } : {}),
        app: parts[3]!,
        args: parts[4]!,
      });
    }
  }
  return steps;
}

/** Whether a dialplan extension (`12345`, `_X.`, `_1[2-3]XX`) matches a dialed number. */
export function extenMatches(pattern: string, number: string): boolean {
  if (!pattern.startsWith('_')) return pattern === number;
  let re = '';
  const p = pattern.slice(1);
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === 'X') re += '[0-9]';
    else if (c === 'Z') re += '[1-9]';
    else if (c === 'N') re += '[2-9]';
    else if (c === '.') re += '.+';
    else if (c === '!') re += '.*';
    else if (c === '[') {
      const end = p.indexOf(']', i);
      re += `[${p.slice(i + 1, end)}]`;
      i = end;
    } else re += c.replace(/[*+?^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(number);
}

/**
 * Evaluates one Asterisk expression (the inside of `$[…]`, variables already substituted) of the
 * forms the generated dialplan uses: `"a" = "b"`, `"a" != "b"`, `a >= b`, `a + b`, and the
 * regular-expression match `"string" : "ERE"` (anchored at the start; the first group, else the
 * length matched), as Asterisk's expression parser does.
 */
function evaluate(expr: string): string {
  const match = /^\s*"([^"]*)"\s*:\s*"([^"]*)"\s*$/.exec(expr);
  if (match) {
    const m = new RegExp(`^(?:${match[2]})`).exec(match[1]!);
    if (/\((?!\?)/.test(match[2]!)) return m?.[1] ?? '';
    return String(m ? m[0].length : 0);
  }
  const m = /^\s*"?([^"\s]*)"?\s*(!=|>=|=|\+)\s*"?([^"\s]*)"?\s*$/.exec(expr);
  if (!m) throw new Error(`cannot evaluate $[${expr}]`);
  const [, l, op, r] = m as unknown as [string, string, string, string];
  if (op === '!=') return l !== r ? '1' : '0';
  if (op === '=') return l === r ? '1' : '0';
  if (op === '>=') return Number(l) >= Number(r) ? '1' : '0';
  return String(Number(l) + Number(r));
}

/** Replaces each `$[…]` (brackets inside, as in `[^:]`, balanced) by its value. */
export function evalExpressions(text: string): string {
  let out = '';
  let i = 0;
  for (let at = text.indexOf('$[', i); at >= 0; at = text.indexOf('$[', i)) {
    let depth = 0;
    let end = at + 1;
    for (; end < text.length; end++) {
      if (text[end] === '[') depth++;
      else if (text[end] === ']' && --depth === 0) break;
    }
    out += text.slice(i, at) + evaluate(text.slice(at + 2, end));
    i = end + 1;
  }
  return out + text.slice(i);
}
