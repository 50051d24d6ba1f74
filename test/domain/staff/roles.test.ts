import { canManage, hasRole, type Role } from '../../../domain/staff/roles';

describe('roles', () => {
  it.each([
    ['owner', 'admin', true],
    ['owner', 'manager', true],
    ['admin', 'manager', true],
    ['admin', 'editor', true],
    ['editor', 'manager', true],
    ['manager', 'manager', true],
    ['manager', 'editor', false],
    ['editor', 'admin', false],
    [null, 'manager', false],
  ] as [Role | null, Role, boolean][])('%s has at least %s: %s', (role, required, expected) => {
    expect(hasRole(role, required)).toBe(expected);
  });

  it.each([
    ['owner', 'admin', true],
    ['owner', 'owner', false], // owners come from configuration only
    ['admin', 'editor', true],
    ['admin', 'manager', true],
    ['admin', 'admin', false],
    ['editor', 'manager', false], // editors manage content, not people
    ['manager', 'manager', false],
    [null, 'manager', false],
  ] as [Role | null, Role, boolean][])('%s may grant %s: %s', (actor, target, expected) => {
    expect(canManage(actor, target)).toBe(expected);
  });
});
