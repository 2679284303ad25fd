/** How a run's metric keys are laid out: sections by prefix, one chart per metric family. */

export interface MetricChartGroup {
  /** `charts/episodic_return`: the key without any per-reward suffix. */
  family: string;
  /** The part after the section, e.g. `episodic_return`. */
  title: string;
  /** The family key itself and its per-reward variants (`…/episodic_return/coin`), sorted. */
  keys: string[];
}

export interface MetricSection {
  /** `charts`, `losses`, or another prefix; `other` for keys without a slash. */
  name: string;
  charts: MetricChartGroup[];
}

const SECTION_ORDER = ['charts', 'losses'];

function sectionRank(name: string): number {
  const rank = SECTION_ORDER.indexOf(name);
  return rank === -1 ? SECTION_ORDER.length : rank;
}

/** Splits `a/b/c` into section `a` and family `a/b`; a key without `/` is its own family in `other`. */
export function metricFamily(key: string): { section: string; family: string; title: string } {
  const parts = key.split('/');
  if (parts.length < 2) return { section: 'other', family: key, title: key };
  const [section, title] = parts as [string, string];
  return { section, family: `${section}/${title}`, title };
}

/** Groups keys into sections (charts, losses, then others A→Z), each with its families A→Z. */
export function groupMetricKeys(keys: readonly string[]): MetricSection[] {
  const sections = new Map<string, Map<string, MetricChartGroup>>();
  for (const key of [...new Set(keys)].sort()) {
    const { section, family, title } = metricFamily(key);
    const families = sections.get(section) ?? new Map<string, MetricChartGroup>();
    sections.set(section, families);
    const group = families.get(family) ?? { family, title, keys: [] };
    families.set(family, group);
    group.keys.push(key);
  }
  return [...sections.entries()]
    .sort(([a], [b]) => sectionRank(a) - sectionRank(b) || a.localeCompare(b))
    .map(([name, families]) => ({
      name,
      charts: [...families.values()].sort((a, b) => a.title.localeCompare(b.title)),
    }));
}
