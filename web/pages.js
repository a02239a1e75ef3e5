// The route table and the navigation per kind of session. access: anon (signed out only),
// user (any org user), creator (Administrators and Editors with a writable session),
// admin (Administrators), operator (the instance operator), public (anyone: the mail links).
import { signInPage, operatorSignInPage } from './auth.js';
import { bomListPage, whereUsedPage, bomPage } from './boms.js';
import { importPage } from './import.js';
import { usersPage, auditPage, settingsPage } from './admin.js';
import { accountPage } from './account.js';
import { orgsPage, sealPage } from './operator.js';
import { invitationsPage, invitationPage, verifyEmailPage } from './invitations.js';
import { sourcesPage } from './sources.js';

export const routes = [
  { path: '/sign-in', access: 'anon', title: 'Sign in', page: signInPage },
  { path: '/operator-sign-in', access: 'anon', title: 'Operator sign-in', page: operatorSignInPage },
  { path: '/boms', access: 'user', title: 'BOMs', page: bomListPage },
  { path: '/where-used', access: 'user', title: 'Where used', page: whereUsedPage },
  { path: '/import', access: 'creator', title: 'Import a BOM', page: importPage },
  { path: '/boms/:id', access: 'user', title: 'BOM', page: (ctx) => bomPage(ctx, 'tree') },
  { path: '/boms/:id/flat', access: 'user', title: 'BOM · flattened', page: (ctx) => bomPage(ctx, 'flat') },
  { path: '/boms/:id/compare', access: 'user', title: 'BOM · compare', page: (ctx) => bomPage(ctx, 'compare') },
  { path: '/sources', access: 'user', title: 'Data sources', page: sourcesPage },
  { path: '/users', access: 'admin', title: 'Users', page: usersPage },
  { path: '/invitations', access: 'admin', title: 'Invitations', page: invitationsPage },
  { path: '/audit', access: 'admin', title: 'Audit log', page: auditPage },
  { path: '/settings', access: 'admin', title: 'Organisation settings', page: settingsPage },
  { path: '/account', access: 'user', title: 'Account', page: accountPage },
  { path: '/invitation', access: 'public', title: 'Accept the invitation', page: invitationPage },
  { path: '/verify-email', access: 'public', title: 'Verify your e-mail address', page: verifyEmailPage },
  { path: '/orgs', access: 'operator', title: 'Organisations', page: orgsPage },
  { path: '/seal', access: 'operator', title: 'Seal', page: sealPage },
];

export function navFor(kind, me) {
  if (kind === 'operator') return [['#/orgs', 'Organisations'], ['#/seal', 'Seal']];
  if (kind !== 'user') return [];
  if (me.mfa_enrolment_required) return [['#/account', 'Account']];
  const items = [['#/boms', 'BOMs'], ['#/where-used', 'Where used']];
  if (me.role !== 'viewer' && !me.read_only) items.push(['#/import', 'Import']);
  items.push(['#/sources', 'Sources']);
  if (me.role === 'administrator') items.push(['#/users', 'Users'], ['#/invitations', 'Invitations'], ['#/audit', 'Audit'], ['#/settings', 'Settings']);
  items.push(['#/account', 'Account']);
  return items;
}
