package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
)

// upstreamFailure says what happened when a request could not get the
// upstream's response headers (err from the transport), as the phrase that
// follows "upstream HOST" in the client's error, with the status to answer:
// 504 for a timeout, else 502. Each cause is named as it is — refused, not
// resolved, TLS, timed out, reset, closed, malformed — never a blanket
// "unreachable" for an upstream that was reached.
func upstreamFailure(err error) (status int, what string) {
	var dns *net.DNSError
	var op *net.OpError
	var tooLarge *headersTooLargeError
	dial := errors.As(err, &op) && op.Op == "dial"
	switch {
	case errors.As(err, &dns):
		return http.StatusBadGateway, "could not be resolved (DNS)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return http.StatusBadGateway, "refused the connection"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return http.StatusBadGateway, "is unreachable (no route to it)"
	case dial && isTimeout(err):
		return http.StatusGatewayTimeout, "did not accept the connection in time"
	case strings.Contains(err.Error(), "TLS handshake timeout"):
		return http.StatusGatewayTimeout, "did not finish the TLS handshake in time"
	case isTLSError(err):
		if problem, _ := tlsProblem(err); problem != "" {
			return http.StatusBadGateway, "failed the TLS handshake: " + problem
		}
		return http.StatusBadGateway, "failed the TLS handshake"
	case isTimeout(err):
		return http.StatusGatewayTimeout, "sent no response headers in time"
	case errors.Is(err, syscall.ECONNRESET):
		return http.StatusBadGateway, "reset the connection before answering"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadGateway, "closed the connection before answering"
	case errors.As(err, &tooLarge):
		return http.StatusBadGateway, "sent response headers larger than " + strconv.FormatInt(tooLarge.limit, 10) + " bytes"
	case strings.Contains(err.Error(), "server response headers exceeded"): // http.Transport's words
		return http.StatusBadGateway, "sent response headers larger than the limit"
	case answeredInTLS(err):
		return http.StatusBadGateway, "answered in TLS"
	case strings.Contains(err.Error(), "malformed HTTP"):
		return http.StatusBadGateway, "sent a malformed HTTP response"
	case dial:
		return http.StatusBadGateway, "could not be connected to"
	}
	return http.StatusBadGateway, "failed before answering"
}

// upstreamAdvice is what to do about err, the failure upstreamFailure
// named, as "; " and advice to end the client's error with, or "".
func upstreamAdvice(err error) string {
	advice := ""
	switch {
	case answeredInTLS(err):
		advice = "give it as https://"
	case isTLSError(err):
		_, advice = tlsProblem(err)
	}
	if advice == "" {
		return ""
	}
	return "; " + advice
}

// isTLSError reports whether err comes from the TLS handshake: the
// certificate, the protocol, or an alert the server sent ("remote error:
// tls: handshake failure", "certificate required"), which crypto/tls
// returns as a *net.OpError with Op "remote error".
func isTLSError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return true
	}
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var alert tls.AlertError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) ||
		errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) ||
		strings.HasPrefix(err.Error(), "tls: ")
}
