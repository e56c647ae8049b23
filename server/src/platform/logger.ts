import pino, { type Logger, type LoggerOptions } from "pino";

export type { Logger };

/*
 * JSON lines with seed 003's field names: timestamp, level, logger, message,
 * module, request_id, user_id, duration_ms. Children add `logger` and `module`.
 */
export function createLogger(options: { level: string; format: "json" | "pretty"; destination?: pino.DestinationStream }): Logger {
  const base: LoggerOptions = {
    level: options.level,
    messageKey: "message",
    errorKey: "error",
    // No pid/hostname; each module's child adds `logger` and `module` (see moduleLogger).
    base: undefined,
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label.toUpperCase() }) },
    redact: {
      paths: ["password", "*.password", "access_token", "refresh_token", "*.authorization", "authorization"],
      censor: "[redacted]",
    },
  };
  if (options.format === "pretty") {
    return pino({
      ...base,
      transport: { target: "pino-pretty", options: { messageKey: "message", timestampKey: "timestamp", ignore: "logger", colorize: true } },
    });
  }
  return options.destination === undefined ? pino(base) : pino(base, options.destination);
}

/** A child logger for one module, e.g. moduleLogger(root, "auth") → logger "auspex.auth". */
export function moduleLogger(root: Logger, module: string): Logger {
  return root.child({ logger: `auspex.${module}`, module });
}
