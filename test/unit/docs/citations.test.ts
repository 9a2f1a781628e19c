// Keeps protocol-note citations honest: every `<note>.md §<n>` in the code must name a note in docs/spec/ (or a design note in docs/) that has a heading numbered <n>.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NOTE_DIRS = [join(ROOT, 'docs/spec'), join(ROOT, 'docs')];
const SCANNED = ['src', 'test', 'bench', 'scripts'];
const CODE = /\.(?:[cm]?[jt]s)$/;
const SELF = fileURLToPath(import.meta.url); // its parser examples are not citations

interface Citation {
  note: string;
  section: string;
  where: string;
}

/**
 * The citations on one line. A note name is followed by one or more sections: `sigv4.md §3.5, §9 step 9`,
 * `aws-chunked.md §3–§4, §8`, `sigv4.md §2 (header) and §7 (presigned)`. The list ends at the next note
 * name or at another document's section (`RFC 9110 §7.6.1`). A sentence's full stop is not part of a number.
 */
function citationsIn(line: string): { note: string; section: string }[] {
  const found: { note: string; section: string }[] = [];
  const note = /([a-z0-9][a-z0-9-]*)\.md\s+(?=§)/g;
  for (let m = note.exec(line); m !== null; m = note.exec(line)) {
    const rest = line.slice(m.index + m[0].length);
    const end = rest.search(/[a-z0-9-]\.md\b|\b(?:RFC|rfc)\s*\d/);
    const span = end === -1 ? rest : rest.slice(0, end);
    for (const s of span.matchAll(/§(\d+(?:\.\d+)*)/g)) found.push({ note: `${m[1]}.md`, section: s[1]! });
  }
  return found;
}

/** Numbers of the Markdown headings of a note (`## 3. Title`, `### 3.2 Title`, `#### 3.2.4 Title`), outside code fences. */
function headingNumbers(markdown: string): Set<string> {
  const numbers = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(\d+(?:\.\d+)*)\.?(?:\s|$)/.exec(line);
    if (m) numbers.add(m[1]!);
  }
  return numbers;
}

function codeFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => CODE.test(f) && !f.split(/[\\/]/).includes('node_modules'))
    .map((f) => join(dir, f));
}

function allCitations(): Citation[] {
  const out: Citation[] = [];
  for (const dir of SCANNED) {
    for (const file of codeFiles(join(ROOT, dir)).filter((f) => f !== SELF)) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const c of citationsIn(line)) out.push({ ...c, where: `${relative(ROOT, file)}:${i + 1}` });
        });
    }
  }
  return out;
}

describe('citation parser', () => {
  it.each([
    ['// sigv4.md §8', ['sigv4.md §8']],
    ['(sigv4.md §1.)', ['sigv4.md §1']],
    ['(sigv4.md §3.2.4): the raw path', ['sigv4.md §3.2.4']],
    ['(sigv4.md §3.5, §9 step 9)', ['sigv4.md §3.5', 'sigv4.md §9']],
    ['(aws-chunked.md §3–§4, §8)', ['aws-chunked.md §3', 'aws-chunked.md §4', 'aws-chunked.md §8']],
    ['sigv4.md §2 (header) and §7 (presigned)', ['sigv4.md §2', 'sigv4.md §7']],
    ['(aws-chunked.md §7 item 3, sigv4.md §9 step 9)', ['aws-chunked.md §7', 'sigv4.md §9']],
    ['(copy-semantics.md §4), as RFC 9110 §13.2.2 says', ['copy-semantics.md §4']],
    ['see README.md and RFC 9110 §7.6.1', []],
    ['`spec/aws-chunked.md` §6', []],
  ])('%s', (line, expected) => {
    expect(citationsIn(line).map((c) => `${c.note} §${c.section}`)).toEqual(expected);
  });

  it('reads heading numbers, not numbered list items or code', () => {
    const md = ['# Title', '## 1. One', '### 1.1 Sub', '#### 1.1.2 Item', '1. a list item', '```', '## 9. in code', '```', '## Test data'].join('\n');
    expect([...headingNumbers(md)]).toEqual(['1', '1.1', '1.1.2']);
  });
});

describe('protocol note citations', () => {
  const citations = allCitations();

  it('finds the citations (the scan itself works)', () => {
    expect(citations.length).toBeGreaterThan(50);
  });

  it('each cited note exists in docs/spec/ (or docs/) and has a heading with the cited number', () => {
    const headings = new Map<string, Set<string> | undefined>();
    const broken: string[] = [];
    for (const c of citations) {
      if (!headings.has(c.note)) {
        const path = NOTE_DIRS.map((dir) => join(dir, c.note)).find((p) => existsSync(p));
        headings.set(c.note, path !== undefined ? headingNumbers(readFileSync(path, 'utf8')) : undefined);
      }
      const numbers = headings.get(c.note);
      if (numbers === undefined) broken.push(`${c.where}: ${c.note} is not in docs/spec/`);
      else if (!numbers.has(c.section)) broken.push(`${c.where}: ${c.note} has no heading §${c.section}`);
    }
    expect(broken).toEqual([]);
  });
});
