// A small strict XML reader for the few documents S3 requests carry (Delete, CompleteMultipartUpload, Tagging, ACLs, bucket configurations), for the proxy and the embedded store alike; pure.
//
// Why not a library: these bodies are small and their shape is fixed, but keys must survive byte-exact
// (leading/trailing spaces, "123" staying a string, &#13; staying a CR), which general parsers' defaults break.
// No DTDs (so no entity expansion), no external anything.
import { S3Error } from './errors.js';

export interface XmlElement {
  /** Local name: a namespace prefix ("s3:Key") is dropped. */
  name: string;
  children: XmlElement[];
  /** Character data directly inside this element (entities and CDATA resolved), not that of its children. */
  text: string;
}

const MAX_DEPTH = 32;

const malformed = (): S3Error => new S3Error('MalformedXML');

const NAME = /[A-Za-z_:][\w.:-]*/y;

/** XML 1.0 Char production: what a character reference may name. */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Resolves entity and character references in character data; an unknown or bad one is malformed. */
function unescapeText(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&]*);|&/g, (_whole, ref: string | undefined) => {
    if (ref === undefined) throw malformed();
    if (ref in PREDEFINED) return PREDEFINED[ref]!;
    const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (!m) throw malformed();
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
    if (!isXmlChar(cp)) throw malformed();
    return String.fromCodePoint(cp);
  });
}

class Reader {
  pos = 0;
  constructor(readonly doc: string) {}

  startsWith(s: string): boolean {
    return this.doc.startsWith(s, this.pos);
  }

  skipUntil(end: string): string {
    const i = this.doc.indexOf(end, this.pos);
    if (i < 0) throw malformed();
    const out = this.doc.slice(this.pos, i);
    this.pos = i + end.length;
    return out;
  }

  skipSpace(): void {
    while (this.pos < this.doc.length && /[ \t\r\n]/.test(this.doc[this.pos]!)) this.pos++;
  }

  name(): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.doc);
    if (!m) throw malformed();
    this.pos += m[0].length;
    return m[0];
  }

  /** Comments and processing instructions (the XML declaration included) between elements. */
  skipMisc(): void {
    for (;;) {
      this.skipSpace();
      if (this.startsWith('<!--')) this.skipUntil('-->');
      else if (this.startsWith('<?')) this.skipUntil('?>');
      else return;
    }
  }
}

function localName(qname: string): string {
  const colon = qname.lastIndexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/** Reads `<name attr="v" ...>` or `<name .../>` at r.pos (just past '<'); returns the name and whether it closed itself. */
function readStartTag(r: Reader): { qname: string; selfClosing: boolean } {
  const qname = r.name();
  for (;;) {
    const before = r.pos;
    r.skipSpace();
    if (r.startsWith('/>')) {
      r.pos += 2;
      return { qname, selfClosing: true };
    }
    if (r.startsWith('>')) {
      r.pos += 1;
      return { qname, selfClosing: false };
    }
    // An attribute must be separated from what precedes it by whitespace.
    if (r.pos === before) throw malformed();
    r.name();
    r.skipSpace();
    if (!r.startsWith('=')) throw malformed();
    r.pos++;
    r.skipSpace();
    const quote = r.doc[r.pos];
    if (quote !== '"' && quote !== "'") throw malformed();
    r.pos++;
    const value = r.skipUntil(quote);
    if (value.includes('<')) throw malformed();
    unescapeText(value);
  }
}

function readElement(r: Reader, depth: number): XmlElement {
  if (depth > MAX_DEPTH) throw malformed();
  if (!r.startsWith('<')) throw malformed();
  r.pos++;
  const { qname, selfClosing } = readStartTag(r);
  const el: XmlElement = { name: localName(qname), children: [], text: '' };
  if (selfClosing) return el;
  let text = '';
  for (;;) {
    if (r.pos >= r.doc.length) throw malformed();
    const lt = r.doc.indexOf('<', r.pos);
    if (lt < 0) throw malformed();
    if (lt > r.pos) {
      const raw = r.doc.slice(r.pos, lt);
      if (raw.includes(']]>')) throw malformed();
      text += unescapeText(raw);
      r.pos = lt;
    }
    if (r.startsWith('</')) {
      r.pos += 2;
      if (r.name() !== qname) throw malformed();
      r.skipSpace();
      if (!r.startsWith('>')) throw malformed();
      r.pos++;
      el.text = text;
      return el;
    }
    if (r.startsWith('<![CDATA[')) {
      r.pos += 9;
      text += r.skipUntil(']]>');
    } else if (r.startsWith('<!--')) {
      r.skipUntil('-->');
    } else if (r.startsWith('<?')) {
      r.skipUntil('?>');
    } else if (r.startsWith('<!')) {
      throw malformed(); // DOCTYPE and friends: never inside an S3 request body
    } else {
      el.children.push(readElement(r, depth + 1));
    }
  }
}

/** Parses a whole document; throws S3Error MalformedXML for anything that is not well-formed (or has a DOCTYPE). */
export function parseXml(doc: string): XmlElement {
  const r = new Reader(doc.startsWith('\ufeff') ? doc.slice(1) : doc);
  r.skipMisc();
  if (r.startsWith('<!')) throw malformed();
  const root = readElement(r, 0);
  r.skipMisc();
  if (r.pos !== r.doc.length) throw malformed();
  return root;
}

export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The only child of that name; undefined if absent, MalformedXML if repeated. */
export function childNamed(el: XmlElement, name: string): XmlElement | undefined {
  const found = childrenNamed(el, name);
  if (found.length > 1) throw malformed();
  return found[0];
}

export function childText(el: XmlElement, name: string): string | undefined {
  return childNamed(el, name)?.text;
}
