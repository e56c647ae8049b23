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
  /**
   * Frozen, and shared between requests that send the same label bytes: a frozen label set never
   * changes, so the metric store may remember which series it names (see SeriesBatch).
   */
  labels: Readonly<Record<string, string>>;
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

/** Label sets kept by the hash of their encoded bytes; the table is emptied when it reaches this size. */
const LABEL_SETS_MAX_ENTRIES = 1 << 17;
/** ... or when their bytes outgrow this. */
const LABEL_BYTES_MAX = 32 << 20;

interface KnownLabelSet {
  /** Where the label bytes are in `knownBytes`. */
  readonly offset: number;
  readonly length: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly limits: WriteRequestLimits;
}

/*
 * A sender writes the same series in request after request, each time with the same label bytes.
 * A label set decoded and validated once is kept by a hash of its bytes (the run of Label fields
 * a TimeSeries starts with), and a series with exactly those bytes, checked byte for byte, gets
 * the same frozen object back: validation is a function of those bytes and the limits, so it
 * would pass again. One entry per hash (a collision replaces it). The bytes of every entry are
 * copied into one growing buffer (fewer objects to reach per lookup).
 */
const labelSets = new Map<number, KnownLabelSet>();
let knownBytes = new Uint8Array(1 << 16);
let knownView = new DataView(knownBytes.buffer);
let knownUsed = 0;

function rememberLabelSet(hash: number, bytes: Uint8Array, start: number, end: number, labels: Readonly<Record<string, string>>, limits: WriteRequestLimits): void {
  const length = end - start;
  if (labelSets.size >= LABEL_SETS_MAX_ENTRIES || knownUsed + length > LABEL_BYTES_MAX) {
    labelSets.clear();
    knownUsed = 0;
  }
  if (knownUsed + length > knownBytes.length) {
    let size = knownBytes.length * 2;
    while (size < knownUsed + length) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(knownBytes.subarray(0, knownUsed));
    knownBytes = grown;
    knownView = new DataView(grown.buffer);
  }
  knownBytes.set(bytes.subarray(start, end), knownUsed);
  labelSets.set(hash, { offset: knownUsed, length, labels, limits });
  knownUsed += length;
}

/** End of the run of Label fields (field 1, length-delimited) starting at `reader.position`. */
function labelRunEnd(reader: ProtobufReader): number {
  const { bytes, end } = reader;
  let pos = reader.position;
  // Tag 0x0a is field 1, wire type 2, followed by the length as a varint (at most 5 bytes here;
  // some encoders pad it to a fixed width).
  while (pos < end && bytes[pos] === 0x0a) {
    let at = pos + 1;
    let length = 0;
    let multiplier = 1;
    let byte = 0x80;
    while (byte >= 0x80 && at < end && multiplier < 2 ** 35) {
      byte = bytes[at++]!;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
    }
    if (byte >= 0x80 || at + length > end) break;
    pos = at + length;
  }
  return pos;
}

/** A hash of bytes[start, end), four bytes at a time (FNV-1a's multiply over 32-bit words, then a final mix). */
function hashBytes(view: DataView, bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5 ^ (end - start);
  let i = start;
  for (; i + 4 <= end; i += 4) hash = Math.imul(hash ^ view.getInt32(i, true), 16777619);
  for (; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 16777619);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash;
}

function sameBytes(known: KnownLabelSet, view: DataView, bytes: Uint8Array, start: number, end: number): boolean {
  const length = known.length;
  if (length !== end - start) return false;
  const offset = known.offset;
  let i = 0;
  for (; i + 4 <= length; i += 4) if (knownView.getInt32(offset + i, true) !== view.getInt32(start + i, true)) return false;
  for (; i < length; i++) if (knownBytes[offset + i] !== bytes[start + i]) return false;
  return true;
}

function decodeTimeSeries(reader: ProtobufReader, limits: WriteRequestLimits, index: number, totals: DecodedWriteRequest): DecodedSeries {
  const runStart = reader.position;
  const runEnd = labelRunEnd(reader);
  let cacheable = runEnd > runStart;
  const hash = cacheable ? hashBytes(reader.view, reader.bytes, runStart, runEnd) : 0;
  if (cacheable) {
    const known = labelSets.get(hash);
    if (known !== undefined && known.limits === limits && sameBytes(known, reader.view, reader.bytes, runStart, runEnd)) {
      reader.position = runEnd;
      const decoded = decodeTimeSeriesRest(reader, index, totals, known.labels);
      if (decoded !== undefined) return decoded;
      // A Label field after the samples: decode the whole series the long way.
      reader.position = runStart;
      cacheable = false;
    }
  }
  const series = decodeTimeSeriesFully(reader, limits, index, totals);
  // Kept only when every label came from that run (no Label field elsewhere in the series).
  if (cacheable && lastLabelEnd === runEnd) {
    Object.freeze(series.labels);
    rememberLabelSet(hash, reader.bytes, runStart, runEnd, series.labels, limits);
  }
  return series;
}

/**
 * The fields of a TimeSeries after its run of labels, for a known label set; undefined when
 * another Label field follows (the label set would then differ from the known one).
 */
function decodeTimeSeriesRest(
  reader: ProtobufReader,
  index: number,
  totals: DecodedWriteRequest,
  labels: Readonly<Record<string, string>>,
): DecodedSeries | undefined {
  const samples: Array<{ t: number; v: number }> = [];
  let exemplars = 0;
  while (!reader.done()) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 2 && wireType === WIRE_LENGTH_DELIMITED) {
      const outer = reader.enter();
      samples.push(decodeSample(reader));
      reader.leave(outer);
    } else if (field === 1 && wireType === WIRE_LENGTH_DELIMITED) {
      return undefined;
    } else if (field === 3 && wireType === WIRE_LENGTH_DELIMITED) {
      reader.lengthDelimited();
      exemplars += 1;
    } else if (field === 4 && wireType === WIRE_LENGTH_DELIMITED) {
      throw new WriteRequestError(`series ${index}: native histograms are not supported; send classic histograms`);
    } else {
      reader.skip(wireType);
    }
  }
  totals.exemplarsIgnored += exemplars;
  return { labels, samples };
}

/** Where decodeTimeSeriesFully's last Label field ended. */
let lastLabelEnd = 0;

function decodeTimeSeriesFully(reader: ProtobufReader, limits: WriteRequestLimits, index: number, totals: DecodedWriteRequest): DecodedSeries {
  lastLabelEnd = -1;
  const labels: Record<string, string> = {};
  let labelCount = 0;
  const samples: Array<{ t: number; v: number }> = [];
  while (!reader.done()) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 1 && wireType === WIRE_LENGTH_DELIMITED) {
      const outer = reader.enter();
      decodeLabel(reader, index);
      reader.leave(outer);
      lastLabelEnd = reader.position;
      const name = labelName;
      const value = labelValue;
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

/** decodeLabel's results (module-level, so no pair is allocated per label). */
let labelName = "";
let labelValue = "";

function decodeLabel(reader: ProtobufReader, index: number): void {
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
  labelName = name;
  labelValue = value;
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

/** ASCII strings up to this length (nearly every label name and value) are interned. */
const INTERN_MAX_LENGTH = 128;
/** Interned strings kept; the table is emptied when it reaches this size. */
const INTERN_MAX_ENTRIES = 1 << 16;

/*
 * Label names and values repeat in every request (a sender writes the same series again and
 * again), so short ASCII strings are interned by the FNV-1a hash of their bytes: a repeat costs a
 * hash and a comparison against the stored string instead of building a new one, and the store
 * then hashes and compares flat strings it has seen before. One string per hash (a collision just
 * replaces the entry); a hit is always checked byte for byte.
 */
const interned = new Map<number, string>();

function decodeText(bytes: Uint8Array, start: number, end: number, index: number, what: string): string {
  const length = end - start;
  if (length <= INTERN_MAX_LENGTH) {
    let hash = 0x811c9dc5 | 0;
    let ascii = true;
    for (let i = start; i < end; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) {
        ascii = false;
        break;
      }
      hash = Math.imul(hash ^ byte, 16777619);
    }
    if (ascii) {
      const known = interned.get(hash);
      if (known !== undefined && known.length === length && sameAscii(known, bytes, start)) return known;
      // ASCII is valid UTF-8: TextDecoder gives a flat (not concatenated) string.
      const text = utf8.decode(bytes.subarray(start, end));
      if (interned.size >= INTERN_MAX_ENTRIES) interned.clear();
      interned.set(hash, text);
      return text;
    }
  }
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw new WriteRequestError(index >= 0 ? `series ${index}: label ${what} is not valid UTF-8` : `${what} is not valid UTF-8`);
  }
}

function sameAscii(text: string, bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
