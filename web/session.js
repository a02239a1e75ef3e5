// The sign-in hand-off. The sign-in pages (auth.js) call signedIn(next); the
// shell (app.js) registers what follows: reload the session, then go to `next` or the start page.
// It sits in its own module so the sign-in pages need not import the shell, which imports them
// through the page table: the import graph stays without cycles (tests/layers.py checks it).
let handler = null;

export function onSignedIn(fn) { handler = fn; }

export async function signedIn(nextHash) {
  if (handler) await handler(nextHash);
}
