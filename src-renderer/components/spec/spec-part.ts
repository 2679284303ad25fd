import type { FieldPath, SpecDraft, SpecForm, SpecIssue } from '../../models/spec-draft';

/** What every piece of a spec form is given: the form, the draft it edits, and the draft's issues. */
export interface SpecPartProps {
  form: SpecForm<unknown>;
  draft: SpecDraft;
  issues: readonly SpecIssue[];
}

/** One choice of a select field: the value written into the spec, and its text. */
export interface SpecOption {
  value: string | number;
  label: string;
}

/** Select choices from their values, each shown as its label (the value itself without one). */
export function choices(values: readonly (string | number)[], labels: readonly string[] = []): SpecOption[] {
  return values.map((value, i) => ({ value, label: labels[i] ?? String(value) }));
}

/** One field of a spec form, as `SpecField` draws it; forms list theirs as data. */
export interface SpecFieldSpec {
  path: FieldPath;
  label: string;
  type?: 'text' | 'number' | 'select';
  options?: readonly SpecOption[];
  min?: number;
  max?: number;
  step?: number;
  testid?: string;
  hint?: string;
  hintTitle?: string;
}
