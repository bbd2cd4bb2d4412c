package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// UpstreamTLS says how the proxy checks its https:// upstreams and proves
// itself to them. The zero value is Go's default: the system's roots, no
// client certificate.
type UpstreamTLS struct {
	// CAFiles are PEM files of certificates trusted as roots in addition
	// to the system's (a private CA, a self-signed server).
	CAFiles []string

	// CertFile and KeyFile are the client certificate (PEM, its chain may
	// follow it) and its private key, for upstreams that require one
	// (mutual TLS). KeyFile may be empty when CertFile holds the key too.
	CertFile, KeyFile string

	// Insecure skips verifying the upstream's certificate: anyone on the
	// path can then read and change the traffic. For testing only.
	Insecure bool
}

// Config returns the tls.Config for an http.Transport's TLSClientConfig,
// or nil when c is the zero value (the transport's default). A file that
// cannot be read, holds no certificate, or a key that does not match the
// certificate is an error naming the file and the flag that gave it.
func (c UpstreamTLS) Config() (*tls.Config, error) {
	if len(c.CAFiles) == 0 && c.CertFile == "" && c.KeyFile == "" && !c.Insecure {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.Insecure}
	if len(c.CAFiles) > 0 {
		roots, err := x509.SystemCertPool()
		if err != nil || roots == nil { // no system roots here: only the files'
			roots = x509.NewCertPool()
		}
		for _, file := range c.CAFiles {
			if err := addRoots(roots, file); err != nil {
				return nil, err
			}
		}
		cfg.RootCAs = roots
	}
	if c.CertFile != "" || c.KeyFile != "" {
		cert, err := loadClientCert(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// addRoots adds every certificate of the PEM file to roots.
func addRoots(roots *x509.CertPool, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("--ca-cert: %w", err)
	}
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return fmt.Errorf("--ca-cert %s: holds a %s, not a certificate (the CA's certificate is what is trusted)", file, block.Type)
			}
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("--ca-cert %s: certificate %d: %w", file, n+1, err)
		}
		roots.AddCert(cert)
		n++
	}
	if n == 0 {
		return fmt.Errorf("--ca-cert %s: no PEM certificate in it (want -----BEGIN CERTIFICATE-----)", file)
	}
	return nil
}

// loadClientCert loads the client certificate and its key, which may sit
// in the certificate's file.
func loadClientCert(certFile, keyFile string) (tls.Certificate, error) {
	if certFile == "" {
		return tls.Certificate{}, errors.New("--client-key needs --client-cert FILE (the certificate that goes with the key)")
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("--client-cert: %w", err)
	}
	if !hasPEM(certPEM, "CERTIFICATE") {
		return tls.Certificate{}, fmt.Errorf("--client-cert %s: no PEM certificate in it (want -----BEGIN CERTIFICATE-----)", certFile)
	}
	keyPEM, keyFrom := certPEM, certFile
	if keyFile != "" {
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return tls.Certificate{}, fmt.Errorf("--client-key: %w", err)
		}
		keyFrom = keyFile
	}
	if !hasPEM(keyPEM, "PRIVATE KEY") {
		if keyFile == "" {
			return tls.Certificate{}, fmt.Errorf("--client-cert %s holds no private key: give it with --client-key FILE", certFile)
		}
		return tls.Certificate{}, fmt.Errorf("--client-key %s: no PEM private key in it (want -----BEGIN ... PRIVATE KEY-----)", keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return tls.Certificate{}, fmt.Errorf("--client-key %s does not match --client-cert %s: %w", keyFrom, certFile, err)
		}
		return tls.Certificate{}, fmt.Errorf("--client-cert %s / --client-key %s: %w", certFile, keyFrom, err)
	}
	return cert, nil
}

// hasPEM reports whether data holds a PEM block whose type ends in kind
// ("CERTIFICATE", "PRIVATE KEY": "EC PRIVATE KEY" is one).
func hasPEM(data []byte, kind string) bool {
	for rest := data; ; {
		block, r := pem.Decode(rest)
		if block == nil {
			return false
		}
		if strings.HasSuffix(block.Type, kind) {
			return true
		}
		rest = r
	}
}
