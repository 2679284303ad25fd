/**
 * What a parameter name says about where a tensor sits in a large model: its repeated block
 * (`model.layers.3`, `transformer.h.3`, `blocks.3`, `encoder.layer.3`) and its kind (q, k, v, o, up,
 * down, gate, norm, embed, …). Derived from the name alone, so the app, the report and the CLI group
 * the same tensors the same way. Names without a numbered block (the app's own `torso.dense1.kernel`)
 * have no block and are shown as they are.
 */

/** The kinds, in the order the block × kind matrix shows them. */
export const TENSOR_KINDS = [
  'embed',
  'q',
  'k',
  'v',
  'qkv',
  'o',
  'gate',
  'up',
  'down',
  'norm',
  'head',
  'other',
] as const;
export type TensorKind = (typeof TENSOR_KINDS)[number];

export interface TensorBlock {
  /** The block's name prefix, e.g. `model.layers.3`: the same for every tensor of the block. */
  key: string;
  /** The stack the block belongs to, e.g. `model.layers` (an encoder and a decoder are two stacks). */
  stack: string;
  /** Its number in the stack. */
  index: number;
}

/** Segment names that introduce a numbered block: `layers.N`, `h.N`, `blocks.N`, `layer.N`, `block.N`. */
const BLOCK_SEGMENTS = new Set(['layers', 'layer', 'h', 'blocks', 'block']);
const INTEGER = /^\d+$/;

/**
 * The numbered block a tensor belongs to: the first `<stack>.<N>.` with stack ending in one of
 * layers/layer/h/blocks/block and N an integer, followed by at least one more segment; null otherwise.
 */
export function tensorBlock(name: string): TensorBlock | null {
  const segments = name.split('.');
  for (let i = 0; i + 2 < segments.length; i++) {
    const segment = segments[i] as string;
    const number = segments[i + 1] as string;
    if (BLOCK_SEGMENTS.has(segment) && INTEGER.test(number)) {
      const stack = segments.slice(0, i + 1).join('.');
      return { key: `${stack}.${number}`, stack, index: Number(number) };
    }
  }
  return null;
}

/** Final segments naming the parameter itself rather than its module. */
const PARAMETER_SEGMENTS = new Set(['weight', 'bias', 'kernel', 'scale', 'g', 'b', 'gamma', 'beta']);

const NORM = /norm|^ln(_?[a-z0-9]+)?$|_ln$/;
const EMBED = /embed|^wte$|^wpe$/;
const HEAD = /^(lm_head|head|output|score|classifier|embed_out)$/;
const QKV = /^(c_attn|qkv|qkv_proj|query_key_value|wqkv|in_proj)$/;
const Q = /^(q_proj|wq|q_lin)$/;
const K = /^(k_proj|wk|k_lin)$/;
const V = /^(v_proj|wv|v_lin)$/;
const O = /^(o_proj|out_proj|out_lin)$/;
/** Short names that are q/k/v/o only inside attention (`value.kernel` of a policy is a value head). */
const ATTENTION_SHORT: Readonly<Record<string, TensorKind>> = {
  q: 'q',
  query: 'q',
  k: 'k',
  key: 'k',
  v: 'v',
  value: 'v',
  o: 'o',
};
const GATE = /^(gate_proj|gate|w1|wi_0)$/;
const UP = /^(up_proj|fc1|c_fc|w3|dense_h_to_4h|wi|wi_1|fc_in|lin1)$/;
const DOWN = /^(down_proj|fc2|w2|dense_4h_to_h|fc_out|lin2)$/;
const ATTENTION = /attn|attention/;
const MLP = /mlp|ffn|feed_?forward|densereludense|intermediate|moe|experts/;

/**
 * The kind of a tensor from its name (lower-cased): the module that holds the parameter decides,
 * with its context for the ambiguous ones (`c_proj`, `dense`, `wo`: `o` inside attention, `down`
 * inside the MLP; BERT's `output.dense` after `intermediate` is `down`). `other` when nothing matches.
 */
export function tensorKind(name: string): TensorKind {
  const segments = name.toLowerCase().split('.');
  while (segments.length > 1 && PARAMETER_SEGMENTS.has(segments.at(-1) as string)) segments.pop();
  const module = segments.at(-1) as string;
  const context = segments.slice(0, -1);
  const inAttention = context.some((s) => ATTENTION.test(s));
  const inMlp = context.some((s) => MLP.test(s));
  const short = inAttention ? ATTENTION_SHORT[module] : undefined;
  if (segments.some((s) => NORM.test(s))) return 'norm';
  if (module === 'embed_out') return 'head';
  if (segments.some((s) => EMBED.test(s))) return 'embed';
  if (short !== undefined) return short;
  if (QKV.test(module)) return 'qkv';
  if (Q.test(module)) return 'q';
  if (K.test(module)) return 'k';
  if (V.test(module)) return 'v';
  if (O.test(module)) return 'o';
  if (GATE.test(module)) return 'gate';
  if (UP.test(module)) return 'up';
  if (DOWN.test(module)) return 'down';
  if (context.at(-1) === 'intermediate') return 'up';
  if (module === 'c_proj' || module === 'wo' || module === 'dense') {
    if (inAttention) return 'o';
    if (inMlp || context.includes('output')) return 'down';
  }
  if (tensorBlock(name) === null && HEAD.test(module)) return 'head';
  return 'other';
}
