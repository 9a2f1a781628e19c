// Embedded store, dispatch: AWS operation name (classifyOperation) → the operation; anything else is 501 NotImplemented.
import type { StoreRequest } from '../context.js';
import { createBucket, deleteBucket, getBucketAcl, getBucketLocation, getObjectAcl, headBucket, listBuckets, putBucketAcl, putObjectAcl } from './buckets.js';
import { getObjectAttributes } from './attributes.js';
import { completeMultipartUpload } from './complete.js';
import { CONFIG_OPERATIONS } from './configs.js';
import {
  getObjectLegalHold,
  getObjectLockConfiguration,
  getObjectRetention,
  putObjectLegalHold,
  putObjectLockConfiguration,
  putObjectRetention,
} from './object-lock.js';
import { copyObject, uploadPartCopy } from './copy.js';
import { listMultipartUploads, listObjects } from './list.js';
import { getBucketVersioning, listObjectVersions, putBucketVersioning } from './versions.js';
import { abortMultipartUpload, createMultipartUpload, listParts, uploadPart } from './multipart.js';
import { getObject, headObject } from './read.js';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './tagging.js';
import { deleteObject, deleteObjects, putObject } from './write.js';

export type Operation = (r: StoreRequest) => Promise<void>;

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  ...CONFIG_OPERATIONS,
  GetObjectLockConfiguration: getObjectLockConfiguration,
  PutObjectLockConfiguration: putObjectLockConfiguration,
  GetObjectRetention: getObjectRetention,
  PutObjectRetention: putObjectRetention,
  GetObjectLegalHold: getObjectLegalHold,
  PutObjectLegalHold: putObjectLegalHold,
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  DeleteBucket: deleteBucket,
  HeadBucket: headBucket,
  GetBucketLocation: getBucketLocation,
  GetBucketVersioning: getBucketVersioning,
  PutBucketVersioning: putBucketVersioning,
  ListObjectVersions: listObjectVersions,
  GetBucketAcl: getBucketAcl,
  PutBucketAcl: putBucketAcl,
  ListObjects: listObjects,
  ListObjectsV2: listObjects,
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  GetObject: getObject,
  GetObjectAttributes: getObjectAttributes,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  CopyObject: copyObject,
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAcl,
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  ListParts: listParts,
  AbortMultipartUpload: abortMultipartUpload,
  CompleteMultipartUpload: completeMultipartUpload,
};
