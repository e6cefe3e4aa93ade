package router

import (
	"net/http"
	"strconv"
)

// listModels answers GET /v1/models with the models the key may use.
func (c *call) listModels(w http.ResponseWriter) error {
	models := c.idx.ModelsFor(c.user.Group, c.tok, acceptOpenAI)
	b := make([]byte, 0, 64+len(models)*64)
	b = append(b, `{"object":"list","data":[`...)
	for i, m := range models {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, m)
		b = append(b, `,"object":"model","created":0,"owned_by":"burncloud"}`...)
	}
	b = append(b, "]}\n"...)
	h := w.Header()
	h[hdrContentType] = []string{"application/json"}
	h[hdrCost] = []string{"0"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	c.wrote, c.status = true, http.StatusOK
	return nil
}
