// Package locals3 serves one S3 bucket kept in a directory over S3's HTTP
// protocol (gofakes3, which honours If-None-Match: * as S3 does), for
// webhook-ops serve. Each object is a plain file under the bucket's
// directory, so the bodies can be read with any tool; each is written whole
// (a temporary file, fsync'd, then renamed), so that neither a reader nor a
// restart after a crash sees part of one. Metadata and ETags are kept in a
// directory beside the bucket's.
package locals3

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"
)

// Directories under the data directory of Open.
const (
	metaDir = ".meta"
	tmpDir  = ".tmp"
)

// ObjectPath returns the file that holds the object key of bucket in dir.
func ObjectPath(dir, bucket, key string) string {
	return filepath.Join(dir, bucket, filepath.FromSlash(key))
}

// Open returns the S3 endpoint of bucket kept in dir (dir/<bucket>/<key>),
// creating what is missing. It accepts any credentials.
func Open(dir, bucket string) (http.Handler, error) {
	if err := gofakes3.ValidateBucketName(bucket); err != nil {
		return nil, fmt.Errorf("bucket name %q: %w", bucket, err)
	}
	tmp := filepath.Join(dir, tmpDir)
	// What a crash left half-written.
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("clean %s: %w", tmp, err)
	}
	for _, d := range []string{filepath.Join(dir, bucket), filepath.Join(dir, metaDir), tmp} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	fs := wholeFileFs{Fs: afero.NewOsFs(), tmp: tmp}
	backend, err := s3afero.SingleBucket(bucket,
		afero.NewBasePathFs(fs, filepath.Join(dir, bucket)),
		afero.NewBasePathFs(fs, filepath.Join(dir, metaDir)))
	if err != nil {
		return nil, fmt.Errorf("open bucket %s in %s: %w", bucket, dir, err)
	}
	// gofakes3's log is dropped: every error it logs is also its response.
	return gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server(), nil
}

// wholeFileFs is the operating system's file system, where a file created
// or truncated for writing appears under its name only once closed, whole
// and synced to disk.
type wholeFileFs struct {
	afero.Fs
	tmp string // where files are written before they are renamed
}

func (fs wholeFileFs) Create(name string) (afero.File, error) {
	return fs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

func (fs wholeFileFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if flag&(os.O_CREATE|os.O_TRUNC) != os.O_CREATE|os.O_TRUNC || flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return fs.Fs.OpenFile(name, flag, perm)
	}
	f, err := os.CreateTemp(fs.tmp, "put-")
	if err != nil {
		return nil, err
	}
	return &wholeFile{File: f, name: name}, nil
}

// wholeFile is a file being written under a temporary name.
type wholeFile struct {
	*os.File
	name string
}

// Name returns the name the file will have.
func (f *wholeFile) Name() string { return f.name }

// Close syncs the file, closes it and renames it to its name.
func (f *wholeFile) Close() error {
	tmp := f.File.Name()
	err := f.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.name, err)
	}
	return nil
}
