import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { SHARED_WORKFLOW_MODULES } from '../../worker/shared-workflow-modules';

const ROOT = resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** The modules a file imports at run time (type-only imports are erased), as paths from the root without `.ts`. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)].map((m) => m[1]);
  return specifiers.map((s) => (s.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), s)) : s));
}

describe('the domain modules every workflow of a worker shares', () => {
  const shared = new Set<string>(SHARED_WORKFLOW_MODULES);

  it('include every domain module the workflows import, so no conversation carries its own copy', () => {
    const imported = new Set(sourceFiles('workflows').flatMap(runtimeImports).filter((m) => m.startsWith('domain/')));
    expect([...imported].filter((m) => !shared.has(m))).toEqual([]);
  });

  it('are pure: no Temporal API, no Node module, no module-level variable one conversation could leave for another', () => {
    const seen = new Set<string>();
    const problems: string[] = [];
    const visit = (module: string) => {
      if (seen.has(module)) return;
      seen.add(module);
      const file = `${module}.ts`;
      for (const imported of runtimeImports(file)) {
        if (imported.startsWith('domain/')) visit(imported);
        else problems.push(`${file} imports ${imported}`);
      }
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/^(?:export )?(?:let|var) (\w+)/gm)) problems.push(`${file}: module-level ${m[1]}`);
    };
    for (const module of shared) visit(module);
    expect(problems).toEqual([]);
  });
});
