/*
 * Secrets are removed from every text before it leaves for an LLM provider.
 * Rules are ordered: specific shapes first (private keys, URLs with
 * credentials, known token formats), generic `name=value` pairs last.
 * Redaction keeps the surrounding text (names, hosts, the key's name) so the
 * model still understands the data.
 */

export const REDACTED = "[REDACTED]";

interface Rule {
  name: string;
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

const SECRET_NAMES =
  "pass(?:word|wd|phrase)?|pwd|secret|client_secret|token|access_token|refresh_token|id_token|auth|auth_token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|session[_-]?id|credentials?|sig|signature";

const RULES: readonly Rule[] = [
  {
    name: "private_key",
    pattern: /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$)/g,
    replace: () => `${REDACTED} private key`,
  },
  {
    name: "url_credentials",
    // scheme://user:password@host → scheme://user:[REDACTED]@host (and scheme://token@host)
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@'"<>]+)(:[^\s/@'"<>]*)?@/gi,
    replace: (_m, scheme: string, user: string, password: string | undefined) =>
      password === undefined ? `${scheme}${REDACTED}@` : `${scheme}${user}:${REDACTED}@`,
  },
  {
    name: "authorization_header",
    pattern: /\b(authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest)\s+)?[^\s"',;]+/gi,
    replace: (_m, header: string, sep: string, scheme: string | undefined) => `${header}${sep}${scheme === undefined ? "" : `${scheme} `}${REDACTED}`,
  },
  {
    name: "bearer_token",
    pattern: /\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi,
    replace: (_m, word: string) => `${word} ${REDACTED}`,
  },
  { name: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g, replace: () => REDACTED },
  { name: "aws_access_key_id", pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, replace: () => REDACTED },
  {
    name: "aws_secret_access_key",
    pattern: /\b(aws_?secret_?access_?key|aws_?secret)(["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}\b/gi,
    replace: (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`,
  },
  {
    name: "known_token",
    // OpenAI/Anthropic sk-…, GitHub ghp_/gho_/ghs_/ghu_/github_pat_, Slack xox?-, Stripe sk_live_, Google AIza…, Groq gsk_, Auspex auk_/aur_
    pattern:
      /\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|[rs]k_(?:live|test)_[A-Za-z0-9]{16,}|AIza[A-Za-z0-9_-]{35}|gsk_[A-Za-z0-9]{20,}|au[kr]_[A-Za-z0-9_-]{16,})/g,
    replace: () => REDACTED,
  },
  {
    name: "secret_pair",
    // password=…, "token": "…", api_key: …, --password … ; the value ends at whitespace, quote, comma, semicolon or &
    pattern: new RegExp(`((?:^|[^A-Za-z0-9])(?:--)?(?:[A-Za-z0-9]+[_.-])*(?:${SECRET_NAMES})["']?)(\\s*[:=]\\s*|\\s+)(["']?)([^\\s"'&,;}]+)`, "gi"),
    replace: (match: string, key: string, sep: string, quote: string, value: string) => {
      // `--password x` needs the flag form; a bare "password is" in prose is not a pair.
      if (sep.trim() === "" && !key.trimStart().replace(/^[^A-Za-z-]/, "").startsWith("--")) return match;
      if (value === REDACTED || value.startsWith("[REDACTED")) return match;
      return `${key}${sep}${quote}${REDACTED}`;
    },
  },
];

export interface Redaction {
  text: string;
  /** How many secrets were replaced, by rule name. */
  found: Record<string, number>;
}

/** The text with every recognised secret replaced by [REDACTED]. */
export function redactSecrets(text: string): Redaction {
  const found: Record<string, number> = {};
  let result = text;
  for (const rule of RULES) {
    result = result.replace(rule.pattern, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args.slice(1).filter((g): g is string | undefined => typeof g === "string" || g === undefined);
      const replaced = rule.replace(match, ...(groups as string[]));
      if (replaced !== match) found[rule.name] = (found[rule.name] ?? 0) + 1;
      return replaced;
    });
  }
  return { text: result, found };
}

/** Total secrets found in a redaction. */
export function countRedactions(found: Record<string, number>): number {
  return Object.values(found).reduce((sum, n) => sum + n, 0);
}
