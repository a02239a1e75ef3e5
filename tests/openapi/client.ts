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

const created = await api.POST("/api/v1/boms", {
  headers: editor,
  body: {
    name: "Typed client",
    items: [
      { ref: "1", part_number: "TC-1", quantity: 1 },
      { ref: "2", parent: "1", part_number: "TC-2", quantity: "2.5", unit: "m" },
    ],
  },
});
check(created.response.status === 201 && created.data !== undefined, "create");
const id: string = created.data.id;
check(created.data.items === 2, "create counts the items");

const list = await api.GET("/api/v1/boms", {
  headers: editor,
  params: { query: { q: "Typed", limit: 10 } },
});
check(list.data?.boms.some((b) => b.id === id) === true, "list finds the BOM");

const got = await api.GET("/api/v1/boms/{id}", { headers: editor, params: { path: { id } } });
check(got.data?.name === "Typed client" && got.data.my_access.length > 0, "get");

const items = await api.GET("/api/v1/boms/{id}/items", {
  headers: editor,
  params: { path: { id } },
});
const second = items.data?.items[1];
check(second?.part_number === "TC-2" && second.quantity === 2.5 && second.parent === "1", "items");

const patched = await api.PATCH("/api/v1/boms/{id}", {
  headers: editor,
  params: { path: { id } },
  body: { name: "Typed client B" },
});
check(patched.data?.name === "Typed client B", "patch");

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
