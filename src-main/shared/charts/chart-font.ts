/**
 * The charts' font stack. Single quotes inside: the report's server-side SVG puts it in a
 * double-quoted `style` attribute, where a double quote would end the attribute.
 */
export const CHART_FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
