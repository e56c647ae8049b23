import UAParser from "ua-parser-js";

export interface DeviceInfo {
  device_type: "desktop" | "mobile" | "tablet" | "tv" | "bot" | "unknown";
  browser: string | null;
  browser_version: string | null;
  os: string | null;
}

const BOT_PATTERN = /bot|crawl|spider|curl|wget|python-requests|go-http-client|prometheus|grafana|node-fetch|undici|axios/i;

/** What a session list shows about the client: parsed with ua-parser-js (v1, MIT; see docs/adr/0005). */
export function describeDevice(userAgent: string | null): DeviceInfo {
  if (userAgent === null || userAgent.trim() === "") return { device_type: "unknown", browser: null, browser_version: null, os: null };
  const result = new UAParser(userAgent).getResult();
  const os = result.os.name ? [result.os.name, result.os.version].filter(Boolean).join(" ") : null;
  const browser = result.browser.name ?? null;
  const browserVersion = result.browser.version ?? null;
  return { device_type: deviceType(result.device.type, browser, userAgent), browser, browser_version: browserVersion, os };
}

function deviceType(type: string | undefined, browser: string | null, userAgent: string): DeviceInfo["device_type"] {
  if (type === "mobile" || type === "wearable") return "mobile";
  if (type === "tablet") return "tablet";
  if (type === "smarttv" || type === "console") return "tv";
  if (BOT_PATTERN.test(userAgent)) return "bot";
  return browser === null ? "unknown" : "desktop";
}
