// XML helpers for the few S3 documents s3bridge writes or reads (errors, copy results, bucket lists).

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function xmlEscape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function xmlUnescape(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_m, ent: string) => {
    switch (ent) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(ent[1] === 'x' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10));
    }
  });
}

/** Text of the first <tag>…</tag> in a small, trusted-shape document (S3 responses), unescaped. */
export function xmlText(doc: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(doc);
  return m ? xmlUnescape(m[1]!) : undefined;
}

/** Every <tag>…</tag> block's inner text (raw), in document order. */
export function xmlBlocks(doc: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g');
  for (let m = re.exec(doc); m; m = re.exec(doc)) out.push(m[1]!);
  return out;
}

/** S3's timestamp form: 2009-10-12T17:50:30.000Z. */
export function isoTimestamp(d: Date): string {
  return d.toISOString();
}
