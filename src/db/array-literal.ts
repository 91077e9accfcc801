// PostgreSQL array literals (`{a,b,NULL}`) for parameters cast in SQL (`$1::text[]`), built in one
// pass. node-postgres turns a JS array parameter into the same text, but escapes every element
// with two regex replaces and a concatenation: for a 10,000-record usage batch (a dozen arrays)
// that was the larger part of the Node CPU and of the garbage of a batch. Numbers need no quoting;
// text is quoted only when it could be read otherwise. Both databases parse the same literal.

/** An element the literal syntax would read as is: no quotes, braces, commas, spaces or backslashes. */
const PLAIN_ELEMENT = /^[A-Za-z0-9_.:@+-]+$/;

/** One element, quoted unless plain (the unquoted word NULL, any case, would be a null). */
export function arrayElement(text: string): string {
  if (PLAIN_ELEMENT.test(text) && (text.length !== 4 || text.toUpperCase() !== 'NULL')) return text;
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * A `text[]` literal; null elements are SQL nulls. `repeated`: the values are few distinct ones
 * (types, currencies, line ids), each checked once.
 */
export function textArrayLiteral(values: ReadonlyArray<string | null>, options: { repeated?: boolean } = {}): string {
  const seen = options.repeated ? new Map<string, string>() : null;
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ',';
    if (value === null || value === undefined) {
      out += 'NULL';
    } else if (seen) {
      let element = seen.get(value);
      if (element === undefined) {
        element = arrayElement(value);
        seen.set(value, element);
      }
      out += element;
    } else {
      out += arrayElement(value);
    }
  }
  return `${out}}`;
}

/** A literal of elements already formed by arrayElement (or nested literals quoted as elements). */
export function elementsLiteral(elements: readonly string[]): string {
  return `{${elements.join(',')}}`;
}

/** A `bigint[]` / `integer[]` literal of safe integers. */
export function integerArrayLiteral(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}
