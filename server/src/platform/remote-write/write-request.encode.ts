import { ProtobufWriter } from "#server/platform/remote-write/protobuf-writer.ts";

export interface EncodableSeries {
  labels: Readonly<Record<string, string>>;
  samples: ReadonlyArray<{ t: number; v: number }>;
}

/** Encodes a remote_write 1.0 WriteRequest, labels sorted by name as the protocol requires. */
export function encodeWriteRequest(series: ReadonlyArray<EncodableSeries>): Uint8Array {
  const writer = new ProtobufWriter();
  for (const s of series) {
    writer.beginMessage(1);
    for (const name of Object.keys(s.labels).sort()) {
      const value = s.labels[name];
      if (value === undefined || value === "") continue;
      writer.beginMessage(1).string(1, name).string(2, value).endMessage();
    }
    for (const sample of s.samples) {
      writer.beginMessage(2).double(1, sample.v).tag(2, 0).int64(sample.t).endMessage();
    }
    writer.endMessage();
  }
  return writer.finish();
}
