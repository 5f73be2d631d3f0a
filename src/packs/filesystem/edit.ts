/**
 * Exact search/replace edits: each block's old text must occur exactly once
 * in the text as the earlier edits left it, so an edit can never land in a
 * place the agent did not see. Fails cleanly, changing nothing, otherwise.
 */
import { McpdError } from '../../chassis/errors.js';

export interface Edit {
  oldText: string;
  newText: string;
}

function occurrences(text: string, search: string): number {
  let count = 0;
  for (let at = text.indexOf(search); at !== -1 && count < 2; at = text.indexOf(search, at + 1)) count++;
  return count;
}

export function applyEdits(text: string, edits: readonly Edit[], display: string): string {
  // Files with CRLF line ends are edited as the agent sees them (LF) and written back as they were.
  const crlf = text.includes('\r\n');
  let current = crlf ? text.replace(/\r\n/g, '\n') : text;
  edits.forEach((edit, index) => {
    const oldText = edit.oldText.replace(/\r\n/g, '\n');
    const found = occurrences(current, oldText);
    if (found === 0) throw new McpdError('CONFLICT', `Edit ${index + 1}: its oldText was not found in ${display}; read the file again`);
    if (found > 1) throw new McpdError('CONFLICT', `Edit ${index + 1}: its oldText occurs more than once in ${display}; include more surrounding lines`);
    const at = current.indexOf(oldText);
    current = current.slice(0, at) + edit.newText.replace(/\r\n/g, '\n') + current.slice(at + oldText.length);
  });
  return crlf ? current.replace(/\n/g, '\r\n') : current;
}
