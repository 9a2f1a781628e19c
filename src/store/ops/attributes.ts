// Embedded store, GetObjectAttributes: the attributes x-amz-object-attributes names (ETag, Checksum, ObjectParts, StorageClass, ObjectSize), parts paged by x-amz-max-parts / x-amz-part-number-marker.
import { S3Error } from '../../s3/errors.js';
import { header, sendXml, type StoreRequest } from '../context.js';
import { parseMaxKeys } from '../listing.js';
import { checkReadKey, customerKey } from '../sse.js';
import { objectAttributesXml, type AttributeName } from '../xml-write.js';
import { requireVersion, versionHeaders } from './common.js';

const NAMES = new Set<AttributeName>(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html */
export async function getObjectAttributes(r: StoreRequest): Promise<void> {
  const wanted = (header(r, 'x-amz-object-attributes') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (wanted.length === 0)
    throw new S3Error('InvalidRequest', 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty');
  for (const name of wanted)
    if (!NAMES.has(name as AttributeName))
      throw new S3Error('InvalidArgument', 'Invalid attribute name specified.', { ArgumentName: 'x-amz-object-attributes', ArgumentValue: name });
  const maxParts = parseMaxKeys(header(r, 'x-amz-max-parts'), 'x-amz-max-parts');
  const markerText = header(r, 'x-amz-part-number-marker') ?? '0';
  if (!/^\d{1,5}$/.test(markerText))
    throw new S3Error('InvalidArgument', 'Part number marker must be an integer', { ArgumentName: 'x-amz-part-number-marker', ArgumentValue: markerText });
  const { bucket, record } = await requireVersion(r);
  checkReadKey(record.sseCustomer, customerKey(r.headers));
  sendXml(r, 200, objectAttributesXml(record, new Set(wanted as AttributeName[]), { maxParts, partNumberMarker: Number(markerText) }), {
    'last-modified': new Date(record.lastModified).toUTCString(),
    ...versionHeaders(bucket, record),
  });
}
