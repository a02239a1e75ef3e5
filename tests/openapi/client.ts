// A client of the bomvault API typed from the served OpenAPI document: schema.d.ts is generated
// next to this file by openapi-typescript from /api/v1/openapi.json (tests/integration/
// test_openapi.py does it), so a route whose schema is missing types its body as `never` and
// this file no longer compiles. Run against a real server: BV_BASE, BV_EDITOR and BV_ADMIN
// (tokens), BV_VIEWER (token), BV_COLLEAGUE (a user id in the same organisation).
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

// Node's environment, declared here rather than pulling in @types/node for one property.
declare const process: { env: Record<string, string | undefined> };

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}
function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`failed: ${what}`);
}

const api = createClient<paths>({ baseUrl: env("BV_BASE") });
const as = (token: string) => ({ Authorization: `Bearer ${token}` });
const editor = as(env("BV_EDITOR"));
const colleague = env("BV_COLLEAGUE");

const createBody = {
  name: "Typed client",
  items: [
    { ref: "1", part_number: "TC-1", quantity: 1 },
    { ref: "2", parent: "1", part_number: "TC-2", quantity: "2.5", unit: "m" },
  ],
};
const created = await api.POST("/api/v1/boms", {
  headers: { ...editor, "Idempotency-Key": "typed-client-create" },
  body: createBody,
});
check(created.response.status === 201 && created.data !== undefined, "create");
check(created.response.headers.get("Location") === `/api/v1/boms/${created.data.id}`, "Location");
const id: string = created.data.id;
check(created.data.items === 2, "create counts the items");
// A retry with the same Idempotency-Key answers the first create again; nothing new is made.
const retried = await api.POST("/api/v1/boms", {
  headers: { ...editor, "Idempotency-Key": "typed-client-create" },
  body: createBody,
});
check(retried.data?.id === id && retried.response.headers.get("Idempotent-Replayed") === "true",
      "idempotent retry");

// Two more, then the list walked one page at a time by next_cursor.
for (const name of ["Typed client page 2", "Typed client page 3"]) {
  const r = await api.POST("/api/v1/boms", { headers: editor, body: { name, items: [] } });
  check(r.response.status === 201, "create another");
}
const listPage = (cursor?: string) =>
  api.GET("/api/v1/boms", {
    headers: editor,
    params: { query: { q: "Typed client", limit: 1, ...(cursor ? { cursor } : {}) } },
  });
const seen: string[] = [];
let cursor: string | undefined = undefined;
for (let pages = 0; pages < 10; ++pages) {
  const page = await listPage(cursor);
  check(page.response.status === 200 && page.data !== undefined, "list page");
  seen.push(...page.data.boms.map((b) => b.id));
  const next: string | undefined = page.data.next_cursor;
  check((next !== undefined) === (page.response.headers.get("Link") !== null), "Link with next");
  if (next === undefined) break;
  cursor = next;
}
check(seen.length === 3 && new Set(seen).size === 3 && seen.includes(id), "list by cursor");

const list = await api.GET("/api/v1/boms", {
  headers: editor,
  params: { query: { q: "Typed", limit: 10 } },
});
check(list.data?.boms.some((b) => b.id === id) === true, "list finds the BOM");

const got = await api.GET("/api/v1/boms/{id}", { headers: editor, params: { path: { id } } });
check(got.data?.name === "Typed client" && got.data.my_access.length > 0, "get");
const etag = got.response.headers.get("ETag");
check(etag !== null, "get answers an ETag");

const items = await api.GET("/api/v1/boms/{id}/items", {
  headers: editor,
  params: { path: { id } },
});
const second = items.data?.items[1];
check(second?.part_number === "TC-2" && second.quantity === 2.5 && second.parent === "1", "items");

const patched = await api.PATCH("/api/v1/boms/{id}", {
  headers: editor,
  params: { path: { id }, header: { "If-Match": etag } },
  body: { name: "Typed client B" },
});
check(patched.data?.name === "Typed client B", "patch with If-Match");
check(patched.response.headers.get("ETag") !== etag, "the patch answers the new ETag");
// The tag read before that change is stale now: refused, and the name stays.
const stale = await api.PATCH("/api/v1/boms/{id}", {
  headers: editor,
  params: { path: { id }, header: { "If-Match": etag } },
  body: { name: "Lost update" },
});
check(stale.response.status === 412 && stale.error?.error.code === "precondition_failed",
      "a stale If-Match is 412");

const refused = await api.POST("/api/v1/boms/{id}/shares", {
  headers: as(env("BV_VIEWER")),
  params: { path: { id } },
  body: { user_id: colleague, access: "view" },
});
check(refused.response.status === 404 && typeof refused.error?.error.code === "string",
      "a Viewer without access cannot share (typed error)");

const shared = await api.POST("/api/v1/boms/{id}/shares", {
  headers: editor,
  params: { path: { id } },
  body: { user_id: colleague, access: "edit" },
});
check(shared.response.status === 201 && shared.data?.access === "edit", "share");

const moved = await api.POST("/api/v1/boms/{id}/transfer", {
  headers: editor,
  params: { path: { id } },
  body: { user_id: colleague },
});
check(moved.data?.owner_id === colleague, "transfer");

const audit = await api.GET("/api/v1/audit", {
  headers: as(env("BV_ADMIN")),
  params: { query: { object: `bom:${id}`, limit: 50 } },
});
const entries = audit.data?.entries ?? [];
check(entries.length >= 4 && entries.every((e) => e.object === `bom:${id}`), "audit");
console.log(JSON.stringify({ id, audit: entries.map((e) => e.action) }));
