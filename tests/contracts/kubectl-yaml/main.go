// kubectl-yaml reads a multi-document YAML stream the way kubectl does and prints each document
// as one line of JSON. kubectl decodes manifests with k8s.io/apimachinery's YAML-or-JSON decoder,
// which converts every document with sigs.k8s.io/yaml.YAMLToJSON (go-yaml v2, a YAML 1.1 reader:
// `on`, `yes`, `off`, `no` are booleans there). This program uses that same function, so a
// contract test can compare what kubectl would send to the API server with what labkit meant.
//
// Usage: kubectl-yaml < manifests.yaml
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// documents splits a stream on `---` separator lines, as apimachinery's YAML reader does.
func documents(stream []byte) [][]byte {
	var docs [][]byte
	var current bytes.Buffer
	scanner := bufio.NewScanner(bytes.NewReader(stream))
	scanner.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.TrimRight(line, " \t") == "---" {
			docs = append(docs, append([]byte(nil), current.Bytes()...))
			current.Reset()
			continue
		}
		current.WriteString(line)
		current.WriteByte('\n')
	}
	docs = append(docs, current.Bytes())
	return docs
}

func main() {
	stream, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubectl-yaml:", err)
		os.Exit(1)
	}
	for index, doc := range documents(stream) {
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		converted, err := yaml.YAMLToJSON(doc)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kubectl-yaml: document %d: %v\n", index, err)
			os.Exit(1)
		}
		fmt.Println(string(converted))
	}
}

// stripComments drops comment-only lines, so a document of comments alone counts as empty.
func stripComments(doc []byte) []byte {
	var kept bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		kept.WriteString(line)
		kept.WriteByte('\n')
	}
	return kept.Bytes()
}
