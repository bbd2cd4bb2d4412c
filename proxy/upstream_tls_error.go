package proxy

import (
	"crypto/x509"
	"errors"
	"net"
	"strings"
)

// tlsProblem names what made the TLS handshake with an upstream fail, as
// the words that follow "failed the TLS handshake", and what to do about
// it (tlsAdvice); "" for both when err says no more than that it failed.
func tlsProblem(err error) (problem, advice string) {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var op *net.OpError
	switch {
	case errors.As(err, &unknown):
		return "its certificate is signed by an unknown authority", "pass its CA with --ca-cert FILE or, to test only, --insecure"
	case errors.As(err, &host):
		return "its certificate is not valid for " + host.Host, "connect by a name its certificate holds or, to test only, --insecure"
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return "its certificate has expired or is not yet valid", "renew it (or check this machine's clock) or, to test only, --insecure"
		}
		return "its certificate is not valid", "to test only, --insecure"
	case errors.As(err, &op) && op.Op == "remote error":
		alert := strings.TrimPrefix(op.Err.Error(), "tls: ")
		switch alert {
		case "certificate required":
			return "it requires a client certificate", "give one with --client-cert FILE --client-key FILE"
		case "bad certificate", "unknown certificate authority", "certificate unknown", "unsupported certificate",
			"certificate expired", "certificate revoked", "access denied":
			return "it did not accept a client certificate (" + alert + "): none was sent, or not one it trusts",
				"give one it trusts with --client-cert FILE --client-key FILE"
		}
		return "it sent the alert \"" + alert + "\"", ""
	case strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return "it does not speak TLS", "is it an http:// server?"
	}
	return "", ""
}

// answeredInTLS reports whether err is a malformed HTTP response that is a
// TLS record (an alert, 0x15 0x03): an https:// server given as http://.
func answeredInTLS(err error) bool {
	return strings.Contains(err.Error(), `malformed HTTP response "\x15\x03`)
}
