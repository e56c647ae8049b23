import { writeFileSync } from "node:fs";
import { renderEnvExample } from "#server/config/env-example.ts";

const target = new URL("../../.env.example", import.meta.url);
writeFileSync(target, renderEnvExample());
process.stdout.write(`wrote ${target.pathname}\n`);
