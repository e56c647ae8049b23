/** How a scraped series gets its target's labels (Prometheus's honor_labels: false). */

export interface TargetLabelSource {
  readonly job: string;
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The labels every series of a target carries: its own labels, `job`, and `instance` (the address unless a label sets it). */
export function targetLabels(target: TargetLabelSource): Record<string, string> {
  return { ...target.labels, job: target.job, instance: target.labels.instance ?? target.address };
}

/**
 * Puts the target's labels on a scraped series, in place. A scraped label that a target label
 * would overwrite is kept as `exported_<name>` (prefixed again while that name is taken, by the
 * scraped series or by the target), as Prometheus does without honor_labels.
 */
export function applyTargetLabels(scraped: Record<string, string>, target: Readonly<Record<string, string>>): Record<string, string> {
  let conflicts: Array<[string, string]> | undefined;
  for (const name in target) {
    const existing = scraped[name];
    if (existing !== undefined && existing !== "") (conflicts ??= []).push([name, existing]);
  }
  if (conflicts) {
    const original = { ...scraped };
    for (const [name, value] of conflicts) {
      let exported = `exported_${name}`;
      while (original[exported] !== undefined || target[exported] !== undefined) exported = `exported_${exported}`;
      scraped[exported] = value;
    }
  }
  for (const name in target) {
    const value = target[name]!;
    if (value === "") delete scraped[name];
    else scraped[name] = value;
  }
  return scraped;
}

/**
 * A key for a series of one target, in label order, not sorted: an exporter writes a series' labels
 * in the same order at every scrape, and sorting them per sample per scrape is most of the cost.
 * (A series that changed its label order would look like a new series and its old key go stale.)
 */
export function identityKey(labels: Readonly<Record<string, string>>): string {
  let key = "";
  for (const name in labels) key += `${name}\xff${labels[name]}\xfe`;
  return key;
}

/** `name{a="b", …}` for messages. */
export function formatSeries(labels: Readonly<Record<string, string>>): string {
  const { __name__: name = "", ...rest } = labels;
  return `${name}{${Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;
}
