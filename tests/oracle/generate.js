#!/usr/bin/env node
// Generates corpus.jsonl: GraphQL documents built from the SDL mimql serves (user.graphql), valid
// and damaged, each with graphql-js 16's validate() verdict. tests/oracle.rs sends every document
// to mimql without credentials and checks that mimql refuses exactly the invalid ones before
// authorization. See README.md for how to regenerate.
//
// Deterministic (seeded). Values of custom scalars are always well-formed and literal `null` is
// never given to a nullable argument: graphql-js's buildSchema cannot know mimql's scalars (it
// accepts any literal), and mimql refuses literal nulls as the reference does; both are checks of
// their own (input_coercion, null_input), not validation rules.

'use strict';
const fs = require('fs');
const path = require('path');
const {
  buildSchema, parse, validate, version, getNamedType, isNonNullType, isListType,
  isObjectType, isUnionType, isEnumType, isInputObjectType, isScalarType, isLeafType,
} = require('graphql');

const COUNT = Number(process.env.COUNT || 6000);
const SEED = Number(process.env.SEED || 20);
const here = __dirname;
const schema = buildSchema(fs.readFileSync(path.join(here, 'user.graphql'), 'utf8'));

let state = SEED >>> 0;
function rand() { // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rand() < p;

const SCALARS = {
  String: ['"s"', 's'], ID: ['"i1"', 'i1'], Int: ['1', 1], Float: ['1.5', 1.5], Boolean: ['true', true],
  JID: ['"alice@localhost"', 'alice@localhost'], BareJID: ['"alice@localhost"', 'alice@localhost'],
  FullJID: ['"alice@localhost/res"', 'alice@localhost/res'], DomainName: ['"localhost"', 'localhost'],
  NonEmptyString: ['"x"', 'x'], NonNegInt: ['0', 0], PosInt: ['2', 2], ResourceName: ['"res"', 'res'],
  RoomName: ['"room"', 'room'], UserName: ['"alice"', 'alice'],
  DateTime: ['"2024-01-01T00:00:00Z"', '2024-01-01T00:00:00Z'], XmlElement: ['"<a/>"', '<a/>'],
};

// A valid literal of an input type ([0]) and the matching JSON variable value ([1]).
function value(type, depth = 0) {
  if (isNonNullType(type)) return value(type.ofType, depth);
  if (isListType(type)) {
    const v = value(type.ofType, depth + 1);
    return [`[${v[0]}]`, [v[1]]];
  }
  if (isEnumType(type)) {
    const e = pick(type.getValues()).name;
    return [e, e];
  }
  if (isInputObjectType(type)) {
    const lit = [], obj = {};
    for (const f of Object.values(type.getFields())) {
      if (isNonNullType(f.type) || (depth < 2 && chance(0.3))) {
        const v = value(f.type, depth + 1);
        lit.push(`${f.name}: ${v[0]}`);
        obj[f.name] = v[1];
      }
    }
    return [`{${lit.join(', ')}}`, obj];
  }
  const s = SCALARS[type.name];
  if (!s) throw new Error(`no value for scalar ${type.name}`);
  return s;
}

// One document under construction.
class Doc {
  constructor() { this.vars = []; this.values = {}; this.fragments = []; this.n = 0; }
  variable(type, allowDefault = true) {
    const name = `v${this.vars.length}`;
    const v = value(type);
    let def = `$${name}: ${type}`;
    if (allowDefault && !isNonNullType(type) && chance(0.2)) def += ` = ${v[0]}`;
    else this.values[name] = v[1];
    this.vars.push(def);
    return `$${name}`;
  }
  alias(name) { return chance(0.2) ? `${name}${this.n++}: ` : ''; }
  directive() {
    if (!chance(0.12)) return '';
    if (chance(0.5)) return ` @skip(if: false)`;
    return ` @include(if: ${this.variable(schema.getDirective('include').args[0].type, false)})`;
  }
}

function args(doc, field, all = false) {
  const out = [];
  for (const a of field.args) {
    if (!isNonNullType(a.type) && !all && !chance(0.3)) continue;
    if (chance(0.25)) out.push(`${a.name}: ${doc.variable(a.type)}`);
    else out.push(`${a.name}: ${value(a.type)[0]}`);
  }
  return out.length ? `(${out.join(', ')})` : '';
}

const fieldsOf = (t) => Object.values(t.getFields());

// A selection set on a composite type: a few fields, sometimes via fragments.
function selection(doc, type, depth) {
  if (isUnionType(type)) {
    const parts = ['__typename'];
    for (const m of type.getTypes()) if (chance(0.5)) parts.push(`... on ${m.name} ${selection(doc, m, depth + 1)}`);
    return `{ ${parts.join(' ')} }`;
  }
  const fields = fieldsOf(type);
  const items = [];
  const n = 1 + int(depth === 0 ? 2 : 3);
  const used = new Set();
  for (let i = 0; i < n; i++) {
    const f = pick(fields);
    // Mostly distinct fields; the merge cases below repeat fields on purpose.
    if (used.has(f.name) && chance(0.9)) continue;
    used.add(f.name);
    const named = getNamedType(f.type);
    let sel = '';
    if (!isLeafType(named)) {
      if (depth >= 4) continue;
      sel = ' ' + selection(doc, named, depth + 1);
    }
    items.push(`${doc.alias(f.name)}${f.name}${args(doc, f)}${doc.directive()}${sel}`);
  }
  if (items.length === 0) items.push('__typename');
  if (chance(0.15)) items.push(`__typename${doc.directive()}`);
  let body = items.join(' ');
  const r = rand();
  if (r < 0.15) {
    const name = `F${doc.fragments.length}`;
    doc.fragments.push(`fragment ${name} on ${type.name} { ${body} }`);
    body = `...${name}${doc.directive()}`;
  } else if (r < 0.25) {
    body = `... on ${type.name}${doc.directive()} { ${body} }`;
  } else if (r < 0.3) {
    body = `...${doc.directive()} { ${body} }`;
  }
  return `{ ${body} }`;
}

const ROOTS = { query: schema.getQueryType(), mutation: schema.getMutationType(), subscription: schema.getSubscriptionType() };

function operation(kind) {
  const doc = new Doc();
  const root = ROOTS[kind];
  let sel;
  if (kind === 'subscription') {
    sel = `{ stanza { subscribeForMessages { ${pick(['sender', 'timestamp', 'stanza_id', 'sender stanza', '__typename'])} } } }`;
  } else {
    sel = selection(doc, root, 0);
  }
  return { doc, kind, sel };
}

function render(op, name) {
  const vars = op.doc.vars.length ? `(${op.doc.vars.join(', ')})` : '';
  const head = name || vars || op.kind !== 'query' || chance(0.5) ? `${op.kind}${name ? ' ' + name : ''}${vars} ` : '';
  return [head + op.sel, ...op.doc.fragments].join(' ');
}

// Leaf and object fields of a type, for merge cases.
function leafFields(t) { return fieldsOf(t).filter((f) => isLeafType(getNamedType(f.type))); }
function objectFields(t) { return fieldsOf(t).filter((f) => isObjectType(getNamedType(f.type))); }
// An object type reachable from the query root with two leaf fields, and the path to it.
function pathTo(root) {
  let t = root, path = [], doc = new Doc();
  for (let d = 0; d < 3; d++) {
    const objs = objectFields(t).filter((f) => f.args.every((a) => !isNonNullType(a.type)));
    if (!objs.length || (d > 0 && leafFields(t).length >= 2 && chance(0.5))) break;
    const f = pick(objs);
    path.push(f.name);
    t = getNamedType(f.type);
  }
  return { t, path, doc };
}
function wrap(path, inner) { return path.reduceRight((acc, p) => `{ ${p} ${acc} }`, inner); }
function argText(doc, f, variant) {
  const parts = f.args.map((a, i) => {
    if (variant && i === 0) {
      if (isEnumType(getNamedType(a.type))) { const vs = getNamedType(a.type).getValues(); return `${a.name}: ${vs[vs.length - 1].name}`; }
      return `${a.name}: ${doc.variable(a.type)}`;
    }
    return `${a.name}: ${value(a.type)[0]}`;
  });
  return parts.length ? `(${parts.join(', ')})` : '';
}

// Field-merging cases: identical fields, different fields under one alias, differing arguments,
// conflicts nested under a shared parent, across fragments and inline fragments, and on
// mutually exclusive union members.
function mergeCase() {
  const kind = chance(0.3) ? 'mutation' : 'query';
  const root = ROOTS[kind];
  let { t, path, doc } = pathTo(root);
  const leaves = leafFields(t);
  if (leaves.length < 1) return null;
  const a = pick(leaves), b = pick(leaves);
  const withArgs = fieldsOf(t).filter((f) => f.args.length > 0);
  const fragments = [];
  // The two halves of each case: merged side by side, or each under its own copy of the
  // last field of the path, so that the conflict only shows when merging those copies.
  let x, y;
  switch (int(9)) {
    case 0: x = `x: ${a.name}`; y = `x: ${a.name}`; break;
    case 1: x = `x: ${a.name}`; y = `x: ${b.name}`; break;
    case 2: {
      if (!withArgs.length) return null;
      const f = pick(withArgs);
      const sub = isLeafType(getNamedType(f.type)) ? '' : ` { __typename }`;
      x = `y: ${f.name}${argText(doc, f, false)}${sub}`;
      y = `y: ${f.name}${argText(doc, f, chance(0.7))}${sub}`;
      break;
    }
    case 3: fragments.push(`fragment A on ${t.name} { z: ${a.name} }`, `fragment B on ${t.name} { z: ${b.name} }`); x = '...A'; y = '...B'; break;
    case 4: fragments.push(`fragment A on ${t.name} { z: ${a.name} }`); x = '...A'; y = `z: ${b.name}`; break;
    case 5: x = `... on ${t.name} { w: ${a.name} }`; y = `... { w: ${b.name} }`; break;
    case 6: fragments.push(`fragment A on ${t.name} { ...B }`, `fragment B on ${t.name} { q: ${a.name} }`); x = '...A'; y = `q: ${b.name}`; break;
    case 7: x = `${a.name} ${a.name}`; y = a.name; break;
    default: x = '__typename'; y = `__typename ${a.name}`;
  }
  let sel;
  if (path.length && chance(0.6)) {
    const last = path[path.length - 1];
    sel = wrap(path.slice(0, -1), `{ ${last} { ${x} } ${last} { ${y} } }`);
  } else {
    sel = wrap(path, `{ ${x} ${y} }`);
  }
  return { doc, kind, sel, fragments };
}

// Damages: each yields a document graphql-js may find invalid (its verdict is recorded whatever
// it is).
const body = (f) => (s) => { const i = s.indexOf('{'); return s.slice(0, i) + f(s.slice(i)); };
const DAMAGES = [
  (s) => s.replace(/\{ (\w+)/, '{ nope_$1'),                       // unknown field
  body((s) => s.replace(/(\w+)\(/, '$1(unknownArg: 1, ')),         // unknown argument
  body((s) => s.replace(/\(\w+: [^,)]+(, )?/, '(')),                // drop an argument
  (s) => s.replace(/: true/, ': "true"').replace(/: 1\b/, ': "1"'), // wrong literal type
  (s) => s.replace(/\{ (\w+) \}/, '{ $1 { x } }'),                 // selection on a leaf
  (s) => s + ' fragment Unused on UserQuery { __typename }',       // unused fragment
  (s) => s.replace(/\{ (\w+) /, '{ ...Missing $1 '),               // unknown fragment
  (s) => s.replace(/^(query|mutation|subscription)( \w+)?\(/, '$1$2($extra: Int, ').replace(/^\{/, 'query($extra: Int) {'), // unused variable
  (s) => s.replace(/(\w+): "[^"]*"/, '$1: $undefinedVar'),          // undefined variable
  (s) => s.replace(/@skip\(if: false\)/, '@skip(if: false) @skip(if: true)').replace(/\{ (\w+) \}/, '{ $1 @unknownDirective }'), // directives
  (s) => s.replace(/^(query|mutation|subscription)?/, (m) => `${m || 'query'} @include(if: true)`), // directive on an operation
  (s) => s.replace(/\.\.\. on (\w+)/, '... on Nope$1'),             // unknown type condition
  (s) => s.replace(/\.\.\. on \w+/, '... on Int'),                  // fragment on a scalar
  (s) => s.replace(/\.\.\. on \w+/, '... on External'),             // impossible spread
  (s) => s.replace(/\}\s*$/, ''),                                    // syntax error
  (s) => s.replace(/\$(v\d+): (\w+)!/, '$$$1: $2'),                 // nullable variable in a non-null position
  (s) => s.replace(/\$(v\d+): (\w+)/, (m, v, t) => `$${v}: ${t === 'String' ? 'Int' : 'String'}`), // variable of another type
  (s) => s.replace(/\$(v\d+): \[?(\w+)/, '$$$1: ContactInput'),     // variable of an input object type
  (s) => s.replace(/(\w+): (\{[^{}]*\})/, '$1: {bogus: 1}'),        // unknown input field / missing required one
  (s) => `${s} query Other { __typename }`,                          // anonymous plus named operation
  body((s) => s.replace(/(\w+)\((\w+): ([^,)]+)/, '$1($2: $3, $2: $3')), // duplicate arguments
  (s) => s.replace(/\{ (\w+)( \{[^{}]*\})/, '{ $1'),                // object field without selection
];

const out = [];
function record(query, operationName, variables) {
  let ok, message = null, kind = null;
  try {
    const doc = parse(query);
    const ops = doc.definitions.filter((d) => d.kind === 'OperationDefinition');
    const sel = operationName ? ops.find((o) => o.name && o.name.value === operationName) : ops[0];
    kind = sel ? sel.operation : null;
    const errors = validate(schema, doc);
    ok = errors.length === 0;
    if (!ok) message = errors[0].message;
  } catch (e) {
    ok = false;
    message = e.message.split('\n')[0];
  }
  const entry = { q: query };
  if (operationName) entry.o = operationName;
  if (variables && Object.keys(variables).length) entry.v = variables;
  entry.k = kind;
  entry.ok = ok;
  if (message) entry.m = message;
  out.push(entry);
}

while (out.length < COUNT) {
  const r = rand();
  let op;
  if (r < 0.3) {
    op = mergeCase();
    if (!op) continue;
    op.doc.fragments.push(...op.fragments);
  } else {
    op = operation(r < 0.55 ? 'query' : r < 0.85 ? 'mutation' : 'subscription');
  }
  let text = render(op);
  let opName = null;
  if (chance(0.1) && op.doc.vars.length === 0) {
    // Two named operations, the first selected.
    text = render(op, 'First').replace(/^(\w+) First/, '$1 First') + ` query Second { __typename }`;
    if (!text.startsWith(op.kind + ' First')) text = `${op.kind} First ${text}`;
    opName = 'First';
  }
  if (chance(0.45)) {
    const damaged = pick(DAMAGES)(text);
    if (damaged === text) continue;
    text = damaged;
  }
  if (text.length > 4000) continue;
  record(text, opName, op.doc.values);
}

const lines = out.map((e) => JSON.stringify(e)).join('\n') + '\n';
fs.writeFileSync(path.join(here, 'corpus.jsonl'), lines);
const invalid = out.filter((e) => !e.ok).length;
console.log(`graphql-js ${version}: ${out.length} documents, ${out.length - invalid} valid, ${invalid} invalid`);
