const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)\}/g;

/**
 * Fills `{name}` placeholders. A missing or blank value takes the default, and a placeholder
 * with neither is dropped, so a lead never sees a raw `{first_name}`.
 */
export function renderTemplate(
  template: string,
  values: Record<string, string | undefined | null>,
  defaults: Record<string, string> = {},
): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name]?.trim();
    return value ? value : (defaults[name] ?? '');
  });
}
