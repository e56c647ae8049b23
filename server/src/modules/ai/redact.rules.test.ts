import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REDACTED, redactSecrets } from "#server/modules/ai/redact.rules.ts";

const redact = (text: string): string => redactSecrets(text).text;

describe("redactSecrets", () => {
  const cases: [string, string, string][] = [
    ["user:pass@ in a URL", "remote_write to https://alice:s3cr3t-pw@prom.example.com/api/v1/write failed", `https://alice:${REDACTED}@prom.example.com/api/v1/write`],
    ["a token as URL user", "git clone https://ghp_abcdefghijklmnopqrstu12345@github.com/x/y", `https://${REDACTED}@github.com/x/y`],
    ["postgres URL", "AUSPEX_DATABASE_URL=postgres://auspex:hunter2@db:5432/auspex", `postgres://auspex:${REDACTED}@db:5432/auspex`],
    ["bearer header", "Authorization: Bearer abc.def-ghi_jkl123", `Authorization: Bearer ${REDACTED}`],
    ["bare bearer token", "curl -H 'x: y' then bearer AbCdEf0123456789xyz", `bearer ${REDACTED}`],
    ["AWS access key id", "key AKIAIOSFODNN7EXAMPLE in env", `key ${REDACTED} in env`],
    ["AWS secret key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1", `aws_secret_access_key = ${REDACTED}`],
    ["OpenAI key", "using sk-proj-AbCdEfGhIjKlMnOpQrStUvWx as key", `using ${REDACTED} as key`],
    ["GitHub token", "token ghp_0123456789abcdefghijABCDEFGHIJ", `${REDACTED}`],
    ["password= pair", "login failed password=hunter2 user=bob", `password=${REDACTED} user=bob`],
    ["token= in a query", "GET /cb?token=abc123&state=x", `?token=${REDACTED}&state=x`],
    ["JSON secret field", '{"db_password": "hunter2", "host": "db"}', `"db_password": "${REDACTED}", "host": "db"`],
    ["label pair", 'up{instance="a",api_key="k-123"}', `api_key="${REDACTED}"`],
    ["CLI flag", "exec: mysql --password s3cret -h db", `--password ${REDACTED} -h db`],
    ["JWT", "cookie eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", `cookie ${REDACTED}`],
  ];
  for (const [name, input, expected] of cases) {
    it(`redacts ${name}`, () => {
      const output = redact(input);
      assert.ok(output.includes(expected), `expected ${JSON.stringify(expected)} in ${JSON.stringify(output)}`);
    });
  }

  it("redacts a whole PEM private key, also JSON-escaped", () => {
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----";
    assert.equal(redact(`key: ${pem} end`), `key: ${REDACTED} private key end`);
    const escaped = JSON.stringify({ key: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----" });
    assert.doesNotMatch(redact(escaped), /b3BlbnNzaC1rZXk/);
  });

  it("keeps JSON valid and counts what it found", () => {
    const input = JSON.stringify({ labels: { password: "p@ss", url: "http://u:p@h:1/x" }, text: "Authorization: Basic dXNlcjpwYXNz" });
    const result = redactSecrets(input);
    assert.doesNotThrow(() => JSON.parse(result.text) as unknown);
    assert.doesNotMatch(result.text, /p@ss|dXNlcjpwYXNz|u:p@/);
    assert.deepEqual(result.found, { url_credentials: 1, authorization_header: 1, secret_pair: 1 });
  });

  it("leaves ordinary monitoring text alone", () => {
    const text = 'node_load1{instance="web-1:9100",job="node"} 3.5; the password is checked by LDAP; prompt_tokens: 12; http://example.com/a?b=c';
    assert.equal(redact(text), text);
  });
});
