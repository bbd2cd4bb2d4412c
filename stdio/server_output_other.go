//go:build !unix

package stdio

import "os"

func serverOutputPipe() (serverOutput, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	return &fileReader{f: r}, w, nil
}
