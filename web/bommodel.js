// Pure BOM computations shared by the page and its worker (bomworker.js): the tree structure of
// an item list, and the engineering change between two BOMs. No DOM, no I/O.

// parent (index or -1), level and a depth-first order of the items, as typed arrays (they travel
// from the worker without a copy). Items whose parent is missing, or that sit on a parent cycle,
// become roots.
export function treeStructure(items) {
  const n = items.length;
  const parent = new Int32Array(n).fill(-1);
  const level = new Int32Array(n);
  const order = new Int32Array(n);
  const index = new Map();
  for (let i = 0; i < n; i += 1) if (!index.has(items[i].ref)) index.set(items[i].ref, i);
  const first = new Int32Array(n).fill(-1);  // first child, then next sibling: a linked list
  const next = new Int32Array(n).fill(-1);
  const last = new Int32Array(n).fill(-1);
  const roots = [];
  for (let i = 0; i < n; i += 1) {
    const p = items[i].parent ? index.get(items[i].parent) : undefined;
    if (p !== undefined && p !== i) {
      parent[i] = p;
      if (last[p] < 0) first[p] = i; else next[last[p]] = i;
      last[p] = i;
    } else {
      roots.push(i);
    }
  }
  const seen = new Uint8Array(n);
  let on = 0;
  const stack = [];
  const visit = (r) => {
    stack.push(r);
    while (stack.length) {
      const i = stack.pop();
      if (seen[i]) continue;
      seen[i] = 1;
      order[on++] = i;
      const kids = [];
      for (let c = first[i]; c >= 0; c = next[c]) if (!seen[c]) kids.push(c);
      for (let j = kids.length - 1; j >= 0; j -= 1) { level[kids[j]] = level[i] + 1; stack.push(kids[j]); }
    }
  };
  roots.forEach(visit);
  for (let i = 0; i < n; i += 1) {
    if (!seen[i]) { parent[i] = -1; level[i] = 0; visit(i); }
  }
  return { parent, level, order };
}

export const CHANGE_TEXT = { added: 'Added', removed: 'Removed', moved: 'Moved', requantified: 'Re-quantified', changed: 'Changed' };

// An engineering change between two BOMs, matched by part number and reference designator, not by
// row numbers: an occurrence under the same parent path is the same item (its quantity or other
// fields may change); one found only under another path has moved; the rest are added or removed.
export function engineeringChange(before, after) {
  const index = (items) => {
    const byRef = new Map();
    items.forEach((it, i) => { if (!byRef.has(it.ref)) byRef.set(it.ref, i); });
    const path = new Array(items.length);
    const pathOf = (i) => {
      if (path[i] !== undefined) return path[i];
      const chain = [];
      const onChain = new Set();
      let j = i;
      while (path[j] === undefined && !onChain.has(j)) {
        const p = items[j].parent ? byRef.get(items[j].parent) : undefined;
        if (p === undefined || p === j) { path[j] = ''; break; }
        onChain.add(j);
        chain.push(j);
        j = p;
      }
      if (path[j] === undefined) path[j] = '';  // a parent cycle in bad data: cut it here
      for (let k = chain.length - 1; k >= 0; k -= 1) {
        const x = chain[k];
        const p = byRef.get(items[x].parent);
        path[x] = (path[p] ? `${path[p]} › ` : '') + (items[p].part_number || items[p].ref);
      }
      return path[i];
    };
    const groups = new Map();
    items.forEach((it, i) => {
      const key = `${it.part_number}\u0000${it.refdes || ''}`;
      const w = pathOf(i);
      let g = groups.get(key);
      if (!g) { g = []; groups.set(key, g); }
      g.push({ i, where: w });
    });
    return groups;
  };
  const A = index(before);
  const B = index(after);
  const out = [];
  const row = (kind, it, a, b, details = '') => ({
    kind, part_number: it.part_number, refdes: it.refdes || '', description: it.description || '',
    where_before: a ? a.where || '(top)' : '', qty_before: a ? String(before[a.i].quantity) : '',
    where_after: b ? b.where || '(top)' : '', qty_after: b ? String(after[b.i].quantity) : '', details,
  });
  const same = (x, y) => String(x ?? '') === String(y ?? '');
  for (const [key, ga] of A) {
    const gb = (B.get(key) || []).slice();
    const restA = [];
    for (const a of ga) {
      const k = gb.findIndex((b) => b.where === a.where);
      if (k < 0) { restA.push(a); continue; }
      const [b] = gb.splice(k, 1);
      const x = before[a.i]; const y = after[b.i];
      if (!same(x.quantity, y.quantity) || !same(x.unit, y.unit)) out.push(row('requantified', y, a, b, same(x.unit, y.unit) ? '' : `unit ${x.unit || '—'} → ${y.unit || '—'}`));
      else {
        const fields = ['description', 'find_number'].filter((f) => !same(x[f], y[f]));
        if (fields.length) out.push(row('changed', y, a, b, fields.map((f) => `${f.replace('_', ' ')}: ${x[f] || '—'} → ${y[f] || '—'}`).join('; ')));
      }
    }
    for (const a of restA) {
      const b = gb.shift();
      if (b) {
        const x = before[a.i]; const y = after[b.i];
        out.push(row('moved', y, a, b, same(x.quantity, y.quantity) ? '' : `quantity ${x.quantity} → ${y.quantity}`));
      } else out.push(row('removed', before[a.i], a, null));
    }
    for (const b of gb) out.push(row('added', after[b.i], null, b));
    B.delete(key);
  }
  for (const gb of B.values()) for (const b of gb) out.push(row('added', after[b.i], null, b));
  const order = { removed: 0, added: 1, moved: 2, requantified: 3, changed: 4 };
  out.sort((x, y) => order[x.kind] - order[y.kind] || (x.part_number < y.part_number ? -1 : x.part_number > y.part_number ? 1 : 0));
  return out;
}


// The two trees side by side, aligned: one row per item of either BOM, in tree order, with the
// item as it is before (left) and after (right). Children are matched under matched parents by
// part number and reference designator (the same key as engineeringChange), in their order; an
// item found on one side only is added or removed, or moved when its key is unmatched on the
// other side elsewhere. Rows: { level, kind, left, right } where left/right are
// { part_number, refdes, description, quantity, unit } or null.
export function sideBySide(before, after) {
  const children = (items) => {
    const byRef = new Map();
    items.forEach((it, i) => { if (!byRef.has(it.ref)) byRef.set(it.ref, i); });
    const kids = new Map();  // parent index (-1 for roots) → child indices in order
    const { parent } = treeStructure(items);
    for (let i = 0; i < items.length; i += 1) {
      const p = parent[i];
      let list = kids.get(p);
      if (!list) { list = []; kids.set(p, list); }
      list.push(i);
    }
    return kids;
  };
  const KA = children(before);
  const KB = children(after);
  const key = (it) => `${it.part_number}\u0000${it.refdes || ''}`;
  const side = (it) => (it ? { part_number: it.part_number, refdes: it.refdes || '', description: it.description || '', quantity: String(it.quantity ?? ''), unit: it.unit || '' } : null);
  const same = (x, y) => String(x ?? '') === String(y ?? '');
  const out = [];
  // Depth-first with an explicit stack (deep trees must not overflow the call stack). A task is
  // either "merge these two child lists" or "emit this one-sided subtree".
  const stack = [{ a: -1, b: -1, level: 0 }];
  while (stack.length) {
    const t = stack.pop();
    if (t.emit) { out.push(t.emit); stack.push(t.then); continue; }  // a row, then its subtree
    const tasks = [];
    if (t.only) {
      const items = t.only === 'left' ? before : after;
      for (const c of (t.only === 'left' ? KA : KB).get(t.i) || []) {
        const row = { level: t.level, kind: t.only === 'left' ? 'removed' : 'added', left: null, right: null };
        row[t.only] = side(items[c]);
        tasks.push({ emit: row, then: { only: t.only, i: c, level: t.level + 1 } });
      }
    } else {
      const ka = KA.get(t.a) || [];
      const free = new Map();  // key → unmatched left children, in order
      for (const i of ka) {
        const k = key(before[i]);
        if (!free.has(k)) free.set(k, []);
        free.get(k).push(i);
      }
      const matched = new Set();
      for (const j of KB.get(t.b) || []) {
        const q = free.get(key(after[j]));
        const i = q && q.length ? q.shift() : -1;
        if (i < 0) {
          tasks.push({ emit: { level: t.level, kind: 'added', left: null, right: side(after[j]) }, then: { only: 'right', i: j, level: t.level + 1 } });
          continue;
        }
        matched.add(i);
        const x = before[i]; const y = after[j];
        const kind = !same(x.quantity, y.quantity) || !same(x.unit, y.unit) ? 'requantified'
          : !same(x.description, y.description) || !same(x.find_number, y.find_number) ? 'changed' : 'same';
        tasks.push({ emit: { level: t.level, kind, left: side(x), right: side(y) }, then: { a: i, b: j, level: t.level + 1 } });
      }
      for (const i of ka) {
        if (!matched.has(i)) tasks.push({ emit: { level: t.level, kind: 'removed', left: side(before[i]), right: null }, then: { only: 'left', i, level: t.level + 1 } });
      }
    }
    for (let k = tasks.length - 1; k >= 0; k -= 1) stack.push(tasks[k]);
  }
  // One-sided rows whose key is unmatched on the other side somewhere else have moved.
  const count = (kind, s) => {
    const m = new Map();
    for (const r of out) if (r.kind === kind) { const k = key(r[s]); m.set(k, (m.get(k) || 0) + 1); }
    return m;
  };
  const removed = count('removed', 'left');
  const added = count('added', 'right');
  for (const r of out) {
    if (r.kind === 'removed' && added.get(key(r.left))) r.kind = 'moved';
    else if (r.kind === 'added' && removed.get(key(r.right))) r.kind = 'moved';
  }
  return out;
}
