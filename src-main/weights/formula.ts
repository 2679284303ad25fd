import { DeltascopeError } from '../shared/errors';

/**
 * A small, safe (no eval) language for checkpoint arithmetic, reduced to a linear combination:
 *
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/') unary)*
 *   unary   := ('+' | '-') unary | primary
 *   primary := number | '#' digits | identifier | '(' expr ')'
 *
 * `#12` is checkpoint 12; identifiers are bound by the caller to a checkpoint id or to a number.
 * A checkpoint may be scaled by a number and added to another checkpoint; anything non-linear
 * (A*B, 1/A, A + 1) is an INVALID_SPEC error that gives the column (1-based) where it happens.
 */

export interface FormulaBindings {
  /** Variables that name checkpoints, e.g. { A: 12, B: 31 }. */
  checkpoints?: Readonly<Record<string, number>>;
  /** Variables that are numbers, e.g. { alpha: 0.5 }. */
  scalars?: Readonly<Record<string, number>>;
}

export interface FormulaTerm {
  /** Checkpoint id. */
  id: number;
  coefficient: number;
}

export interface LinearFormula {
  formula: string;
  /** One term per checkpoint, in order of first appearance; a cancelled operand keeps coefficient 0. */
  terms: FormulaTerm[];
}

type TokenKind = 'number' | 'id' | 'name' | 'op' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  value: number;
  column: number;
}

/** A sub-expression's value: a scalar (no coefficients) or a combination of checkpoints. */
interface Value {
  scalar: number;
  coefficients: Map<number, number> | null;
}

function fail(formula: string, column: number, problem: string): never {
  throw new DeltascopeError('INVALID_SPEC', `formula \`${formula}\`, column ${column}: ${problem}`, {
    formula,
    column,
  });
}

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const CHECKPOINT = /^#(\d+)/;

function tokenize(formula: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < formula.length) {
    const ch = formula[i]!;
    const column = i + 1;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = formula.slice(i);
    const number = NUMBER.exec(rest);
    const name = NAME.exec(rest);
    const checkpoint = CHECKPOINT.exec(rest);
    if (number) {
      const value = Number(number[0]);
      if (!Number.isFinite(value)) fail(formula, column, `number ${number[0]} is too large`);
      tokens.push({ kind: 'number', text: number[0], value, column });
      i += number[0].length;
    } else if (name) {
      tokens.push({ kind: 'name', text: name[0], value: 0, column });
      i += name[0].length;
    } else if (checkpoint) {
      tokens.push({ kind: 'id', text: checkpoint[0], value: Number(checkpoint[1]), column });
      i += checkpoint[0].length;
    } else if ('+-*/()'.includes(ch)) {
      tokens.push({ kind: 'op', text: ch, value: 0, column });
      i++;
    } else if (ch === '#') {
      fail(formula, column, '`#` must be followed by a checkpoint id, e.g. #12');
    } else {
      fail(formula, column, `unexpected character \`${ch}\``);
    }
  }
  tokens.push({ kind: 'end', text: 'end of formula', value: 0, column: formula.length + 1 });
  return tokens;
}

const scalar = (value: number): Value => ({ scalar: value, coefficients: null });
const checkpoint = (id: number): Value => ({ scalar: 0, coefficients: new Map([[id, 1]]) });

function scale(value: Value, factor: number): Value {
  if (value.coefficients === null) return scalar(value.scalar * factor);
  const coefficients = new Map<number, number>();
  for (const [id, c] of value.coefficients) coefficients.set(id, c * factor);
  return { scalar: 0, coefficients };
}

class Parser {
  private position = 0;

  constructor(
    private readonly formula: string,
    private readonly tokens: Token[],
    private readonly bindings: FormulaBindings,
  ) {}

  parse(): Value {
    const value = this.expr();
    const next = this.peek();
    if (next.kind !== 'end') {
      const hint =
        next.kind === 'op' && next.text === ')'
          ? 'unmatched `)`'
          : `expected an operator before \`${next.text}\``;
      fail(this.formula, next.column, hint);
    }
    return value;
  }

  private peek(): Token {
    return this.tokens[this.position]!;
  }

  private take(): Token {
    return this.tokens[this.position++]!;
  }

  private isOp(text: string): boolean {
    const token = this.peek();
    return token.kind === 'op' && token.text === text;
  }

  private expr(): Value {
    let left = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.take();
      const right = this.term();
      left = this.add(left, op.text === '+' ? right : scale(right, -1), op);
    }
    return left;
  }

  private term(): Value {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/')) {
      const op = this.take();
      const right = this.unary();
      left = op.text === '*' ? this.multiply(left, right, op) : this.divide(left, right, op);
    }
    return left;
  }

  private unary(): Value {
    if (this.isOp('-')) {
      this.take();
      return scale(this.unary(), -1);
    }
    if (this.isOp('+')) {
      this.take();
      return this.unary();
    }
    return this.primary();
  }

  private primary(): Value {
    const token = this.take();
    if (token.kind === 'number') return scalar(token.value);
    if (token.kind === 'id') return checkpoint(token.value);
    if (token.kind === 'name') return this.lookup(token);
    if (token.kind === 'op' && token.text === '(') {
      const inner = this.expr();
      const close = this.peek();
      if (!this.isOp(')'))
        fail(this.formula, close.column, `expected \`)\` to close the \`(\` at column ${token.column}`);
      this.take();
      return inner;
    }
    fail(this.formula, token.column, `expected a number, a checkpoint or \`(\`, found \`${token.text}\``);
  }

  private lookup(token: Token): Value {
    const { checkpoints = {}, scalars = {} } = this.bindings;
    if (Object.hasOwn(checkpoints, token.text)) return checkpoint(checkpoints[token.text]!);
    if (Object.hasOwn(scalars, token.text)) return scalar(scalars[token.text]!);
    const known = [...Object.keys(checkpoints), ...Object.keys(scalars)];
    const hint = known.length > 0 ? ` (known: ${known.join(', ')})` : '';
    fail(this.formula, token.column, `unknown name \`${token.text}\`${hint}`);
  }

  private add(left: Value, right: Value, op: Token): Value {
    if (left.coefficients === null && right.coefficients === null) return scalar(left.scalar + right.scalar);
    if (left.coefficients === null || right.coefficients === null) {
      fail(
        this.formula,
        op.column,
        `cannot ${op.text === '+' ? 'add' : 'subtract'} a number and a checkpoint`,
      );
    }
    const coefficients = new Map(left.coefficients);
    for (const [id, c] of right.coefficients) coefficients.set(id, (coefficients.get(id) ?? 0) + c);
    return { scalar: 0, coefficients };
  }

  private multiply(left: Value, right: Value, op: Token): Value {
    if (left.coefficients !== null && right.coefficients !== null) {
      fail(this.formula, op.column, 'cannot multiply two checkpoints (the result would not be linear)');
    }
    return left.coefficients === null ? scale(right, left.scalar) : scale(left, right.scalar);
  }

  private divide(left: Value, right: Value, op: Token): Value {
    if (right.coefficients !== null) fail(this.formula, op.column, 'cannot divide by a checkpoint');
    if (right.scalar === 0) fail(this.formula, op.column, 'division by zero');
    return scale(left, 1 / right.scalar);
  }
}

/** Parses `formula` into one coefficient per checkpoint id, e.g. `A + 0.5*(B - A)` → {A: 0.5, B: 0.5}. */
export function parseFormula(formula: string, bindings: FormulaBindings = {}): LinearFormula {
  for (const [name, value] of Object.entries(bindings.scalars ?? {})) {
    if (!Number.isFinite(value)) {
      throw new DeltascopeError(
        'INVALID_SPEC',
        `formula variable \`${name}\` is ${value}, not a finite number`,
      );
    }
  }
  const tokens = tokenize(formula);
  if (tokens.length === 1) fail(formula, 1, 'the formula is empty');
  const value = new Parser(formula, tokens, bindings).parse();
  if (value.coefficients === null) fail(formula, 1, 'the formula names no checkpoint');
  const terms = [...value.coefficients].map(([id, coefficient]) => ({ id, coefficient }));
  return { formula, terms };
}
