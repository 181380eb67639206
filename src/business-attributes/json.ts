import * as v from 'valibot'
import type { businessAttributes } from '../db/tables'

const ValueSchema = v.object({
  name: v.string(),
  dbid: v.number(),
  display_name: v.string(),
  description: v.string(),
})

/** A business attribute as it is emitted (the vendor's Query Business Attribute Schema shape). */
export const BusinessAttributeSchema = v.object({
  name: v.string(),
  dbid: v.optional(v.number()),
  display_name: v.string(),
  description: v.string(),
  map_name: v.optional(v.boolean()),
  cv_attributes: v.array(v.string()),
  values: v.array(ValueSchema),
})

export function businessAttributeJson(row: typeof businessAttributes.$inferSelect) {
  return {
    name: row.name,
    ...(row.dbid !== null ? { dbid: row.dbid } : {}),
    display_name: row.displayName,
    description: row.description,
    ...(row.mapName !== null ? { map_name: row.mapName } : {}),
    cv_attributes: row.cvAttributes,
    values: row.values,
  }
}
