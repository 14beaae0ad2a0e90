package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// S3 is a prefix of an S3 bucket (AWS S3, MinIO, Ceph or any server that
// speaks the S3 protocol) that mirrors a Store: see Store.SetRemote. Its
// objects are <prefix>/<stage>/<key>.parquet, one per cache entry, and
// <prefix>/<kind>/<name>.json documents (see Store.PutDoc).
type S3 struct {
	client         *s3.Client
	bucket, prefix string
	// where names the server in messages: the endpoint URL, or AWS S3 and its region.
	where string
}

// S3Options tunes OpenS3. The zero value uses the standard AWS
// configuration alone.
type S3Options struct {
	// HTTPClient sends the requests when not nil (tests count them with it).
	HTTPClient *http.Client
}

// IsS3URL reports whether a --cache value names an S3 bucket (s3://…).
func IsS3URL(s string) bool { return strings.HasPrefix(s, "s3://") }

// ParseS3URL splits s3://BUCKET/PREFIX into the bucket and the prefix
// (without leading or trailing slashes; it may be empty). The bucket must be
// a valid S3 bucket name.
func ParseS3URL(s string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return "", "", fmt.Errorf("cache: %q is not an s3:// URL; write s3://BUCKET/PREFIX", s)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !validBucket(bucket) {
		return "", "", fmt.Errorf("cache: %q: invalid bucket name %q: want 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit", s, bucket)
	}
	prefix = strings.Trim(prefix, "/")
	for _, el := range strings.Split(prefix, "/") {
		if prefix != "" && (el == "" || el == "." || el == "..") {
			return "", "", fmt.Errorf("cache: %q: the prefix has an empty, '.' or '..' element; write s3://BUCKET/a/b", s)
		}
	}
	for _, c := range prefix {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "", "", fmt.Errorf("cache: %q: the prefix holds a control character or backslash", s)
		}
	}
	return bucket, prefix, nil
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	alnum := func(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }
	if !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if c := b[i]; !alnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return !strings.Contains(b, "..")
}

// OpenS3 returns the bucket prefix that rawURL (s3://BUCKET/PREFIX) names,
// configured the way the AWS command-line tools are: credentials, region
// and endpoint from the standard AWS_* environment variables
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3, AWS_MAX_ATTEMPTS) and
// the shared files ~/.aws/config and ~/.aws/credentials. An endpoint URL
// (MinIO, Ceph and other S3-compatible servers) selects path-style
// addressing; without a region, us-east-1 is assumed. OpenS3 sends no
// request to the bucket, but it does look up credentials, and none is an
// error that says which variables to set.
func OpenS3(ctx context.Context, rawURL string, opt S3Options) (*S3, error) {
	bucket, prefix, err := ParseS3URL(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("cache: %s: reading the AWS configuration (AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE): %w", rawURL, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	r := &S3{bucket: bucket, prefix: prefix}
	r.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opt.HTTPClient != nil {
			o.HTTPClient = opt.HTTPClient
		}
		// The package never prints; failures come back as errors.
		o.Logger = logging.Nop{}
		if o.BaseEndpoint != nil && *o.BaseEndpoint != "" {
			o.UsePathStyle = true
			r.where = *o.BaseEndpoint + " (AWS_ENDPOINT_URL)"
		} else {
			r.where = "AWS S3 in region " + o.Region + " (AWS_REGION)"
		}
	})
	if cfg.Credentials == nil {
		return nil, r.noCredentials(errors.New("no credentials provider"))
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, r.noCredentials(err)
	}
	return r, nil
}

// URL returns the s3:// URL of the bucket prefix.
func (r *S3) URL() string {
	if r.prefix == "" {
		return "s3://" + r.bucket
	}
	return "s3://" + r.bucket + "/" + r.prefix
}

func (r *S3) noCredentials(err error) error {
	return fmt.Errorf("cache: %s: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE): %w", r.URL(), err)
}

// object is one listed object below the prefix.
type object struct {
	name string // relative to the prefix
	etag string // without quotes
	size int64
}

// objectKey is the bucket key of name, relative to the prefix.
func (r *S3) objectKey(name string) string {
	if r.prefix == "" {
		return name
	}
	return r.prefix + "/" + name
}

// list returns every object below the prefix, in pages of up to 1000.
func (r *S3) list(ctx context.Context) ([]object, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(r.bucket)}
	if r.prefix != "" {
		in.Prefix = aws.String(r.prefix + "/")
	}
	var out []object
	p := s3.NewListObjectsV2Paginator(r.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, r.explain("listing", err)
		}
		for _, o := range page.Contents {
			name := aws.ToString(o.Key)
			if r.prefix != "" {
				name = strings.TrimPrefix(name, r.prefix+"/")
			}
			out = append(out, object{name: name, etag: strings.Trim(aws.ToString(o.ETag), `"`), size: aws.ToInt64(o.Size)})
		}
	}
	return out, nil
}

// get returns the content of object name (relative to the prefix).
func (r *S3) get(ctx context.Context, name string) ([]byte, error) {
	res, err := r.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.objectKey(name))})
	if err != nil {
		return nil, r.explain("reading "+name, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, r.explain("reading "+name, err)
	}
	return b, nil
}

// put writes object name. An S3 PUT is atomic: the object appears whole
// once the server has the complete body, and a request cut off midway
// leaves no object (and an older version, if any, in place).
func (r *S3) put(ctx context.Context, name string, data []byte) error {
	_, err := r.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.objectKey(name)),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		return r.explain("writing "+name, err)
	}
	return nil
}

// explain turns an S3 error into one that names the variable to fix.
func (r *S3) explain(what string, err error) error {
	base := fmt.Sprintf("cache: %s: %s at %s", r.URL(), what, r.where)
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("%s: bucket %q does not exist there; create it (aws s3 mb s3://%s, or mc mb for MinIO), or fix the bucket in --cache or the server in AWS_ENDPOINT_URL: %w", base, r.bucket, r.bucket, err)
		case "InvalidAccessKeyId":
			return fmt.Errorf("%s: the server does not know the access key; fix AWS_ACCESS_KEY_ID (or aws_access_key_id of AWS_PROFILE's profile in ~/.aws/credentials): %w", base, err)
		case "SignatureDoesNotMatch":
			return fmt.Errorf("%s: the request signature does not match; fix AWS_SECRET_ACCESS_KEY (or aws_secret_access_key of AWS_PROFILE's profile in ~/.aws/credentials): %w", base, err)
		case "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
			return fmt.Errorf("%s: the session token is expired or invalid; renew AWS_SESSION_TOKEN (or the profile's credentials): %w", base, err)
		case "AccessDenied", "AllAccessDisabled":
			return fmt.Errorf("%s: access denied; the credentials in AWS_ACCESS_KEY_ID (or AWS_PROFILE) need s3:ListBucket, s3:GetObject and s3:PutObject on bucket %q: %w", base, r.bucket, err)
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
			return fmt.Errorf("%s: the bucket is in another region; set AWS_REGION to the bucket's region: %w", base, err)
		}
	}
	var netErr net.Error
	var urlErr *url.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.As(err, &urlErr) || errors.As(err, &netErr) {
		fix := "check the network, or set AWS_ENDPOINT_URL to the server's URL"
		if os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" {
			fix = "check that the server runs and that AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3) is its URL"
		}
		return fmt.Errorf("%s: cannot reach the server; %s: %w", base, fix, err)
	}
	return fmt.Errorf("%s: %w", base, err)
}
