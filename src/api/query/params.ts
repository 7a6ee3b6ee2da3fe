// Decodes AWS Query protocol parameters (form-urlencoded) into a tree: `Tags.member.1.Key=k` becomes
// `{ Tags: [{ Key: 'k' }] }` (AWS Query protocol, "List" and "Structure" serialisation rules).
import { GatehouseError } from '../../core/errors.js';

export type ParamTree = string | ParamTree[] | { [name: string]: ParamTree };
export type ParamMap = { [name: string]: ParamTree };

// Element names in AWS models are alphanumeric; list indexes are decimal. Anything else (`__proto__`,
// empty segments from `a..b`) is refused so nothing odd reaches an object key.
const SEGMENT = /^(?:[A-Za-z][A-Za-z0-9_]*|[1-9][0-9]{0,3})$/;
/** IAM's largest lists (ActionNames, ResourceArns, ContextEntries) are far below this. */
const MAX_LIST_LENGTH = 1000;

function invalid(reason: string): GatehouseError {
  return new GatehouseError('GH_API_VALIDATION', { reason });
}

/** Form fields in wire order; a name given twice is refused (which one would win is ambiguous). */
export function parseForm(text: string, into: Map<string, string> = new Map()): Map<string, string> {
  for (const [name, value] of new URLSearchParams(text)) {
    if (into.has(name)) throw invalid(`parameter ${name} is given more than once`);
    into.set(name, value);
  }
  return into;
}

interface Node {
  value?: string;
  children: Map<string, Node>;
}

function insert(root: Node, name: string, value: string): void {
  let node = root;
  for (const segment of name.split('.')) {
    if (!SEGMENT.test(segment)) throw invalid(`malformed parameter name ${JSON.stringify(name)}`);
    let child = node.children.get(segment);
    if (!child) {
      child = { children: new Map() };
      node.children.set(segment, child);
    }
    node = child;
  }
  node.value = value;
}

/** `member.1 … member.N` (N contiguous from 1) becomes an array; anything else stays a structure. */
function toTree(node: Node, name: string): ParamTree {
  if (node.children.size === 0) return node.value ?? '';
  if (node.value !== undefined) throw invalid(`parameter ${name} has both a value and members`);
  const members = node.children.get('member');
  if (members && node.children.size === 1) {
    const count = members.children.size;
    if (count > MAX_LIST_LENGTH) throw invalid(`${name} has more than ${MAX_LIST_LENGTH} members`);
    const list: ParamTree[] = [];
    for (let i = 1; i <= count; i++) {
      const item = members.children.get(String(i));
      if (!item) throw invalid(`${name}.member indexes must run from 1 to ${count} without gaps`);
      list.push(toTree(item, `${name}.member.${i}`));
    }
    return list;
  }
  const out: ParamMap = {};
  for (const [key, child] of node.children) out[key] = toTree(child, name === '' ? key : `${name}.${key}`);
  return out;
}

/** The request's parameters as a tree, ready for schema validation. */
export function decodeParams(fields: ReadonlyMap<string, string>): ParamMap {
  const root: Node = { children: new Map() };
  for (const [name, value] of fields) insert(root, name, value);
  const tree = toTree(root, '');
  return typeof tree === 'object' && !Array.isArray(tree) ? tree : {};
}
