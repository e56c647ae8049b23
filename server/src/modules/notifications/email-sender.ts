import nodemailer from "nodemailer";
import { checkOutboundAddress } from "#server/platform/outbound/check-outbound-address.ts";
import type { OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";
import type { EmailMessage } from "#server/modules/notifications/channel-payloads.rules.ts";
import { describe } from "#server/modules/notifications/http-sender.ts";

export type SmtpSecurity = "starttls" | "tls" | "none";

/** The server-wide relay (AUSPEX_SMTP_*), used by email channels that name no server. Operator-chosen: not policy-checked. */
export interface SmtpRelay {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | undefined;
  password: string | undefined;
  from: string;
}

export interface SmtpTarget {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | undefined;
  password: string | undefined;
  /** User-supplied servers pass the outbound policy; the relay does not. */
  checked: boolean;
}

export interface EmailAnswer {
  /** The SMTP reply code (250 when accepted), null without an answer. */
  status: number | null;
  body: string | null;
  error: string | null;
  /** A 5xx reply: the server will refuse it again. */
  permanent: boolean;
}

export interface EmailSendOptions {
  policy: OutboundPolicy;
  resolve?: ResolveHost;
  timeoutMs: number;
}

/**
 * Sends one message over SMTP (nodemailer). A user-supplied server is resolved and checked
 * against the outbound policy, then dialled at the checked address with TLS verified against
 * the name. The Message-ID is derived from the outbox row's idempotency key, so a message sent
 * twice after a crash carries the same id (mail clients and some servers fold duplicates).
 */
export async function sendEmail(server: SmtpTarget, envelope: { from: string; to: readonly string[]; messageId: string }, message: EmailMessage, options: EmailSendOptions): Promise<EmailAnswer> {
  let address = server.host;
  if (server.checked) {
    try {
      address = (await checkOutboundAddress(options.policy, server.host, options.resolve === undefined ? {} : { resolve: options.resolve }))[0].address;
    } catch (error) {
      return { status: null, body: null, error: (error as Error).message, permanent: false };
    }
  }
  const transport = nodemailer.createTransport({
    host: address,
    port: server.port,
    secure: server.security === "tls",
    requireTLS: server.security === "starttls",
    ignoreTLS: server.security === "none",
    ...(server.username !== undefined && { auth: { user: server.username, pass: server.password ?? "" } }),
    tls: { servername: server.host },
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  try {
    const info = (await transport.sendMail({ from: envelope.from, to: [...envelope.to], subject: message.subject, text: message.text, messageId: envelope.messageId })) as { response?: string };
    const response = info.response ?? "250";
    const code = Number(/^\d{3}/.exec(response)?.[0] ?? 250);
    return { status: code, body: response, error: null, permanent: false };
  } catch (error) {
    const responseCode = (error as { responseCode?: unknown }).responseCode;
    const code = typeof responseCode === "number" ? responseCode : null;
    return { status: code, body: (error as { response?: string }).response ?? null, error: describe(error as Error), permanent: code !== null && code >= 500 };
  } finally {
    transport.close();
  }
}
