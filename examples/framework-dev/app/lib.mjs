export default 'hello';
