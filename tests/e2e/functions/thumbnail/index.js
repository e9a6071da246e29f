// Stand-in for the "CreateThumbnail" function of the AWS Lambda S3 tutorial:
// reads the S3 event and answers with what it would write, without calling S3.
exports.handler = async (event) => {
  const record = event.Records[0];
  const srcBucket = record.s3.bucket.name;
  const srcKey = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
  const typeMatch = srcKey.match(/\.([^.]*)$/);
  const imageType = typeMatch ? typeMatch[1].toLowerCase() : '';
  console.log('Reading options from event:', JSON.stringify(event));
  return {
    status: 'Successfully resized',
    srcBucket,
    srcKey,
    dstBucket: srcBucket + '-resized',
    dstKey: 'resized-' + srcKey,
    imageType,
  };
};
