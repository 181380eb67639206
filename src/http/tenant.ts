import { ApiError } from './errors'

const TENANT_PART = /^[A-Za-z0-9_.-]{1,64}$/

/**
 * The tenant of a request from `ContactCenterId` (absent: `default`) and `GroupId` (absent: empty),
 * joined by `/`, which neither may contain, so two pairs never collide (docs/behaviour.md#tenants).
 */
export function tenantOf(contactCenterId: string | undefined, groupId: string | undefined): string {
  const center = contactCenterId ?? 'default'
  const group = groupId ?? ''
  if (!TENANT_PART.test(center)) {
    throw new ApiError('invalid_tenant', 'ContactCenterId must be 1 to 64 characters of A-Z a-z 0-9 _ . -')
  }
  if (group !== '' && !TENANT_PART.test(group)) {
    throw new ApiError('invalid_tenant', 'GroupId must be 1 to 64 characters of A-Z a-z 0-9 _ . -')
  }
  return `${center}/${group}`
}
