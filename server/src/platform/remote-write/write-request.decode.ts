import {
  ProtobufError,
  ProtobufReader,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from "#server/platform/remote-write/protobuf-reader.ts";

/*
 * Decoder for Prometheus remote_write 1.0 `WriteRequest` messages (prometheus/prompb):
 *   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; exemplars = 3; histograms = 4; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 *   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
 * Written by hand (see docs/adr/0006): it decodes into the plain shapes the metric store
 * appends, with no per-field message objects, and validates labels as it goes.
 */

export interface DecodedSeries {
  labels: Record<string, string>;
  samples: Array<{ t: number; v: number }>;
}

export interface DecodedMetadata {
  type: string;
  metricFamilyName: string;
  help: string;
  unit: string;
}

export interface DecodedWriteRequest {
  series: DecodedSeries[];
  metadata: DecodedMetadata[];
  sampleCount: number;
  /** Exemplars are accepted on the wire but not stored. */
  exemplarsIgnored: number;
}

export interface WriteRequestLimits {
  maxLabelsPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
}

export const DEFAULT_WRITE_REQUEST_LIMITS: WriteRequestLimits = {
  maxLabelsPerSeries: 128,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 16_384,
};

/** A request that is not a valid WriteRequest; the message says what and where. */
export class WriteRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WriteRequestError";
  }
}

const METRIC_TYPES = ["unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"];
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeWriteRequest(bytes: Uint8Array, limits: WriteRequestLimits = DEFAULT_WRITE_REQUEST_LIMITS): DecodedWriteRequest {
  const reader = new ProtobufReader(bytes);
  const result: DecodedWriteRequest = { series: [], metadata: [], sampleCount: 0, exemplarsIgnored: 0 };
  try {
    while (!reader.done()) {
      const tag = reader.varint();
      const field = Math.floor(tag / 8);
      const wireType = tag & 7;
      if (field === 1 && wireType === WIRE_LENGTH_DELIMITED) {
        const outer = reader.enter();
        const series = decodeTimeSeries(reader, limits, result.series.length, result);
        reader.leave(outer);
        result.series.push(series);
        result.sampleCount += series.samples.length;
      } else if (field === 3 && wireType === WIRE_LENGTH_DELIMITED) {
        const outer = reader.enter();
        result.metadata.push(decodeMetadata(reader));
        reader.leave(outer);
      } else {
        reader.skip(wireType);
      }
    }
  } catch (error) {
    if (error instanceof ProtobufError) throw new WriteRequestError(`malformed protobuf: ${error.message}`);
    throw error;
  }
  return result;
}

function decodeTimeSeries(reader: ProtobufReader, limits: WriteRequestLimits, index: number, totals: DecodedWriteRequest): DecodedSeries {
  const labels: Record<string, string> = {};
  let labelCount = 0;
  const samples: Array<{ t: number; v: number }> = [];
  while (!reader.done()) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 1 && wireType === WIRE_LENGTH_DELIMITED) {
      const outer = reader.enter();
      const [name, value] = decodeLabel(reader, index);
      reader.leave(outer);
      if (name.length > limits.maxLabelNameLength) {
        throw new WriteRequestError(`series ${index}: label name longer than ${limits.maxLabelNameLength} characters`);
      }
      if (value.length > limits.maxLabelValueLength) {
        throw new WriteRequestError(`series ${index}: value of label '${truncate(name)}' longer than ${limits.maxLabelValueLength} characters`);
      }
      if (Object.hasOwn(labels, name)) throw new WriteRequestError(`series ${index}: duplicate label name '${truncate(name)}'`);
      labelCount += 1;
      if (labelCount > limits.maxLabelsPerSeries) {
        throw new WriteRequestError(`series ${index}: more than ${limits.maxLabelsPerSeries} labels`);
      }
      // An empty value means the label is absent, as in Prometheus.
      if (value !== "") labels[name] = value;
    } else if (field === 2 && wireType === WIRE_LENGTH_DELIMITED) {
      const outer = reader.enter();
      samples.push(decodeSample(reader));
      reader.leave(outer);
    } else if (field === 3 && wireType === WIRE_LENGTH_DELIMITED) {
      reader.lengthDelimited();
      totals.exemplarsIgnored += 1;
    } else if (field === 4 && wireType === WIRE_LENGTH_DELIMITED) {
      throw new WriteRequestError(`series ${index}: native histograms are not supported; send classic histograms`);
    } else {
      reader.skip(wireType);
    }
  }
  if (labels.__name__ === undefined) throw new WriteRequestError(`series ${index}: no __name__ label`);
  return { labels, samples };
}

function decodeLabel(reader: ProtobufReader, index: number): [string, string] {
  let name = "";
  let value = "";
  while (!reader.done()) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if ((field === 1 || field === 2) && wireType === WIRE_LENGTH_DELIMITED) {
      const { start, end } = reader.lengthDelimited();
      const text = decodeText(reader.bytes, start, end, index, field === 1 ? "name" : "value");
      if (field === 1) name = text;
      else value = text;
    } else {
      reader.skip(wireType);
    }
  }
  if (name === "") throw new WriteRequestError(`series ${index}: empty label name`);
  return [name, value];
}

function decodeSample(reader: ProtobufReader): { t: number; v: number } {
  let v = 0;
  let t = 0;
  while (!reader.done()) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 1 && wireType === WIRE_FIXED64) v = reader.double();
    else if (field === 2 && wireType === WIRE_VARINT) t = reader.int64();
    else reader.skip(wireType);
  }
  return { t, v };
}

function decodeMetadata(reader: ProtobufReader): DecodedMetadata {
  const metadata: DecodedMetadata = { type: "unknown", metricFamilyName: "", help: "", unit: "" };
  while (!reader.done()) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 1 && wireType === WIRE_VARINT) {
      metadata.type = METRIC_TYPES[reader.varint()] ?? "unknown";
    } else if ((field === 2 || field === 4 || field === 5) && wireType === WIRE_LENGTH_DELIMITED) {
      const { start, end } = reader.lengthDelimited();
      const text = decodeText(reader.bytes, start, end, -1, "metadata");
      if (field === 2) metadata.metricFamilyName = text;
      else if (field === 4) metadata.help = text;
      else metadata.unit = text;
    } else {
      reader.skip(wireType);
    }
  }
  return metadata;
}

/** Short ASCII strings (most label names and values) skip the UTF-8 decoder. */
const ASCII_FAST_PATH_MAX = 64;

function decodeText(bytes: Uint8Array, start: number, end: number, index: number, what: string): string {
  if (end - start <= ASCII_FAST_PATH_MAX) {
    let text = "";
    let ascii = true;
    for (let i = start; i < end; i++) {
      const byte = bytes[i] ?? 0;
      if (byte >= 0x80) {
        ascii = false;
        break;
      }
      text += String.fromCharCode(byte);
    }
    if (ascii) return text;
  }
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw new WriteRequestError(index >= 0 ? `series ${index}: label ${what} is not valid UTF-8` : `${what} is not valid UTF-8`);
  }
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
