package echo

import "testing"

func TestCallerSends(t *testing.T) {
	offer := "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:3\r\na=inactive\r\n"
	got := callerSends(offer)
	want := map[string]bool{"0": true, "1": false, "2": true, "3": false}
	for mid, w := range want {
		if got[mid] != w {
			t.Errorf("mid %s: sends = %v, want %v", mid, got[mid], w)
		}
	}
	if len(callerSends("not sdp")) != 0 {
		t.Error("garbage offer yielded media sections")
	}
}
