/**
 * RFC 6570 URI templates, the subset MCP resource templates use: simple `{var}`,
 * reserved `{+var}` (may contain `/`) and fragment `{#var}`; `{a,b}` lists are not
 * supported. Compiled once to a RegExp at registration.
 */

export interface CompiledUriTemplate {
  readonly template: string;
  readonly variables: readonly string[];
  match(uri: string): Record<string, string> | undefined;
}

const EXPRESSION = /\{([+#]?)([A-Za-z0-9_.%]+)\}/g;
const PATTERN_OF: Record<string, string> = { '': '([^/?#]+)', '+': '(.+?)', '#': '#(.+?)' };

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileUriTemplate(template: string): CompiledUriTemplate {
  const variables: string[] = [];
  let pattern = '^';
  let last = 0;
  for (const found of template.matchAll(EXPRESSION)) {
    pattern += escapeRegExp(template.slice(last, found.index));
    variables.push(found[2]!);
    pattern += PATTERN_OF[found[1]!];
    last = found.index! + found[0].length;
  }
  pattern += `${escapeRegExp(template.slice(last))}$`;
  const regexp = new RegExp(pattern);

  return {
    template,
    variables,
    match(uri: string) {
      const found = regexp.exec(uri);
      if (!found) return undefined;
      const values: Record<string, string> = {};
      for (let i = 0; i < variables.length; i++) {
        try {
          values[variables[i]!] = decodeURIComponent(found[i + 1]!);
        } catch {
          return undefined;
        }
      }
      return values;
    },
  };
}
