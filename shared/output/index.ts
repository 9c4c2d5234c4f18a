/**
 * The one output module every plugin prints through, so that all five feel like kubectl: `-o` formats,
 * tabwriter-exact tables, colour roles, bars and kubectl's age and percentage spellings.
 */
export { BAR_GLYPHS, type BarOptions, type BarSegment, barCell, barSpans, prefersAsciiBars, renderBar } from './bar.ts'
export { COLOR_ROLES, type ColorRole, colorize, stripAnsi } from './color.ts'
export { type CustomColumn, parseCustomColumns, renderCustomColumns } from './custom-columns.ts'
export { csvField, type DelimitedOptions, renderCsv, renderTsv, tsvField } from './delimited.ts'
export { renderJson, renderYaml } from './document.ts'
export { plainTable, renderFields } from './fields.ts'
export {
  allowedFormatNames,
  type ChosenFormat,
  formatChoices,
  isOutputFormat,
  OUTPUT_FORMATS,
  type OutputFormat,
  parseOutputFormat,
  printsDocument,
  TEMPLATE_FORMATS,
  type TemplateFormat,
} from './format.ts'
export { formatAge, formatBytes, formatPercent } from './humanize.ts'
export {
  type BytesJson,
  bytesJson,
  bytesJsonOrNull,
  type CpuJson,
  cpuJson,
  cpuJsonOrNull,
  JSON_TIMESTAMP,
  jsonConventionProblems,
  timestampJson,
} from './json-values.ts'
export { type JsonPath, JsonPathExecError, JsonPathParseError, parseJsonPath } from './jsonpath.ts'
export { type NodeReadiness, nodeReadiness, nodeStatusText } from './node-status.ts'
export {
  noResourcesMessage,
  printView,
  type RenderOptions,
  renderDocument,
  renderView,
  terminalWidth,
  type View,
} from './print.ts'
export {
  type Cell,
  type Column,
  cellOf,
  renderTable,
  type Span,
  type TableOptions,
  type TableView,
  tableSafeText,
} from './table.ts'
export { displayWidth } from './width.ts'
