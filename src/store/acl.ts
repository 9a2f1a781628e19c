// Embedded store, access control lists: canned ACLs, x-amz-grant-* headers and AccessControlPolicy bodies → grants, and what a grant allows; pure.
//
// The store has one account, the owner (s3bridge signs every request it forwards with the owner's key), so a
// grant can name the owner or a group; the AllUsers group is what anonymous requests are judged by (access.ts).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
import { S3Error } from '../s3/errors.js';
import { childNamed, childText, childrenNamed, parseXml, type XmlElement } from '../s3/xml-read.js';
import type { GrantRecord } from './records.js';
import type { Owner } from './xml-write.js';

type Permission = GrantRecord['permission'];

const GROUPS = 'http://acs.amazonaws.com/groups/';
export const ALL_USERS = `${GROUPS}global/AllUsers`;
const AUTHENTICATED_USERS = `${GROUPS}global/AuthenticatedUsers`;
const LOG_DELIVERY = `${GROUPS}s3/LogDelivery`;
const KNOWN_GROUPS = new Set([ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY]);

const PERMISSIONS = new Set<Permission>(['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP']);

const owner = (o: Owner, permission: Permission = 'FULL_CONTROL'): GrantRecord => ({ grantee: { type: 'CanonicalUser', id: o.id }, permission });
const group = (uri: string, permission: Permission): GrantRecord => ({ grantee: { type: 'Group', uri }, permission });

/** The ACL of anything created without one: the owner's FULL_CONTROL. */
export function defaultAcl(o: Owner): GrantRecord[] {
  return [owner(o)];
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl. bucket-owner-* name the
 * bucket's owner, who is the object's owner here.
 */
function cannedAcl(name: string, o: Owner): GrantRecord[] {
  switch (name) {
    case 'private':
    case 'bucket-owner-read':
    case 'bucket-owner-full-control':
    case 'aws-exec-read':
      return [owner(o)];
    case 'public-read':
      return [owner(o), group(ALL_USERS, 'READ')];
    case 'public-read-write':
      return [owner(o), group(ALL_USERS, 'READ'), group(ALL_USERS, 'WRITE')];
    case 'authenticated-read':
      return [owner(o), group(AUTHENTICATED_USERS, 'READ')];
    case 'log-delivery-write':
      return [owner(o), group(LOG_DELIVERY, 'WRITE'), group(LOG_DELIVERY, 'READ_ACP')];
    default:
      throw new S3Error('InvalidArgument', undefined, { ArgumentName: 'x-amz-acl', ArgumentValue: name });
  }
}

function grantee(o: Owner, kind: string, value: string): GrantRecord['grantee'] {
  if (kind === 'id') {
    if (value !== o.id) throw new S3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: value });
    return { type: 'CanonicalUser', id: value };
  }
  if (kind === 'uri') {
    if (!KNOWN_GROUPS.has(value)) throw new S3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'Group/URI', ArgumentValue: value });
    return { type: 'Group', uri: value };
  }
  // No account here has an e-mail address: S3's answer for an address it cannot resolve.
  throw new S3Error('InvalidArgument', 'Invalid e-mail address', { ArgumentName: 'AmazonCustomerByEmail', ArgumentValue: value });
}

const GRANT_HEADERS: Array<[string, Permission]> = [
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
];

/** `id="…", uri="…", emailAddress="…"` (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html#API_PutObjectAcl_RequestSyntax). */
function parseGrantHeader(o: Owner, name: string, value: string, permission: Permission): GrantRecord[] {
  const grants: GrantRecord[] = [];
  for (const piece of value.split(',')) {
    const m = /^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$/i.exec(piece);
    if (!m) throw new S3Error('InvalidArgument', undefined, { ArgumentName: name, ArgumentValue: value });
    grants.push({ grantee: grantee(o, m[1]!.toLowerCase() === 'emailaddress' ? 'email' : m[1]!.toLowerCase(), m[2]!), permission });
  }
  return grants;
}

/**
 * The ACL a request sets with headers: x-amz-acl, or x-amz-grant-* (which replace the whole ACL, the owner's
 * own grant included), never both. undefined when it sets none.
 */
export function aclFromHeaders(headers: Readonly<Record<string, string>>, o: Owner): GrantRecord[] | undefined {
  const canned = headers['x-amz-acl']?.trim();
  const granted = GRANT_HEADERS.filter(([h]) => headers[h] !== undefined);
  if (canned !== undefined && granted.length > 0) throw new S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed');
  if (canned !== undefined) return cannedAcl(canned, o);
  if (granted.length === 0) return undefined;
  return granted.flatMap(([h, permission]) => parseGrantHeader(o, h, headers[h]!, permission));
}

function grantFromXml(o: Owner, grant: XmlElement): GrantRecord {
  const who = childNamed(grant, 'Grantee');
  const permission = childText(grant, 'Permission')?.trim() as Permission | undefined;
  if (!who || permission === undefined || !PERMISSIONS.has(permission)) throw new S3Error('MalformedACLError');
  const id = childText(who, 'ID')?.trim();
  const uri = childText(who, 'URI')?.trim();
  const email = childText(who, 'EmailAddress')?.trim();
  if ([id, uri, email].filter((v) => v !== undefined).length !== 1) throw new S3Error('MalformedACLError');
  return { grantee: id !== undefined ? grantee(o, 'id', id) : uri !== undefined ? grantee(o, 'uri', uri) : grantee(o, 'email', email!), permission };
}

/** An AccessControlPolicy body (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html) → its grants. */
export function parseAccessControlPolicy(doc: string, o: Owner): GrantRecord[] {
  let el: XmlElement;
  try {
    el = parseXml(doc);
  } catch {
    throw new S3Error('MalformedACLError');
  }
  if (el.name !== 'AccessControlPolicy') throw new S3Error('MalformedACLError');
  const ownerId = childNamed(el, 'Owner') && childText(childNamed(el, 'Owner')!, 'ID')?.trim();
  if (ownerId !== undefined && ownerId !== o.id) throw new S3Error('AccessDenied');
  const list = childNamed(el, 'AccessControlList');
  return list ? childrenNamed(list, 'Grant').map((g) => grantFromXml(o, g)) : [];
}

/** Whether an ACL grants anything to everyone or to every AWS account (what S3's Block Public Access calls public). */
export function isPublicAcl(grants: readonly GrantRecord[]): boolean {
  return grants.some((g) => g.grantee.type === 'Group' && (g.grantee.uri === ALL_USERS || g.grantee.uri === AUTHENTICATED_USERS));
}

/** Whether the grants give everyone (the AllUsers group) this permission; FULL_CONTROL includes every other. */
export function allowsEveryone(grants: readonly GrantRecord[], permission: Permission): boolean {
  return grants.some((g) => g.grantee.type === 'Group' && g.grantee.uri === ALL_USERS && (g.permission === permission || g.permission === 'FULL_CONTROL'));
}
